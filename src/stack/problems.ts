/**
 * Collects the diagnostics of one load. Problems are reported against key paths of the merged tree and located
 * through SourcePositions, so each message names the file, line and column the value came from.
 * Once a schema error is reported at a path, later errors at or under it are dropped: one message per mistake.
 */
import type { Diagnostic, Location, Severity } from '../errors.js';
import { formatKeyPath, type KeyPath } from './key-path.js';
import type { SourcePositions } from './source-positions.js';
import { collate } from '../collate.js';

export interface ReportOptions {
  hint?: string;
  detail?: string;
  /** Point at the key rather than the value (for "unknown key", "key not allowed"). */
  atKey?: boolean;
  /** Report even if an earlier problem covers this path. */
  always?: boolean;
  /** Later errors at or under this path are dropped (for schema errors, which normalising would repeat). */
  covers?: boolean;
  /** Locate the path in this tree instead of the merged one (for the inventory, or one file before merging). */
  in?: unknown;
}

export class Problems {
  readonly diagnostics: Diagnostic[] = [];
  private readonly reportedPaths = new Set<string>();
  /** The merged tree paths are resolved against; set once files are merged. */
  root: unknown = undefined;

  constructor(readonly positions: SourcePositions) {}

  add(diagnostic: Diagnostic): void {
    this.diagnostics.push(diagnostic);
  }

  error(path: KeyPath, summary: string, options: ReportOptions = {}): void {
    this.report('error', path, summary, options);
  }

  warning(path: KeyPath, summary: string, options: ReportOptions = {}): void {
    this.report('warning', path, summary, options);
  }

  /** The location of a path in the merged tree. */
  locate(path: KeyPath, atKey = false, root: unknown = this.root): Location {
    return atKey ? this.positions.locateKey(root, path) : this.positions.locate(root, path);
  }

  /** True when an error was already reported at this path or one of its parents. */
  covered(path: KeyPath): boolean {
    for (let i = path.length; i >= 0; i--) {
      if (this.reportedPaths.has(formatKeyPath(path.slice(0, i)))) return true;
    }
    return false;
  }

  /** The diagnostics ordered by file, line and column (those without a position first), stable otherwise. */
  sorted(): Diagnostic[] {
    const key = (d: Diagnostic) => [d.where?.file ?? '', d.where?.line ?? 0, d.where?.column ?? 0] as const;
    return this.diagnostics
      .map((d, i) => ({ d, i }))
      .sort((a, b) => {
        const [fa, la, ca] = key(a.d);
        const [fb, lb, cb] = key(b.d);
        return collate(fa, fb) || la - lb || ca - cb || a.i - b.i;
      })
      .map(({ d }) => d);
  }

  hasErrors(): boolean {
    return this.diagnostics.some((d) => d.severity === 'error');
  }

  private report(severity: Severity, path: KeyPath, summary: string, options: ReportOptions): void {
    const tracked = severity === 'error' && path.length > 0 && !('in' in options);
    if (tracked && !options.always && this.covered(path)) return;
    if (tracked && options.covers) this.reportedPaths.add(formatKeyPath(path));
    const root = 'in' in options ? options.in : this.root;
    const diagnostic: Diagnostic = { severity, summary, where: this.locate(path, options.atKey, root) };
    if (options.detail) diagnostic.detail = options.detail;
    if (options.hint) diagnostic.hint = options.hint;
    this.diagnostics.push(diagnostic);
  }
}
