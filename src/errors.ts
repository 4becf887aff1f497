/**
 * User-facing problems are diagnostics, not exceptions: each says what is wrong, where, and what to do.
 * Library code collects them; only the CLI prints them and picks the exit code.
 */

export type Severity = 'error' | 'warning';

/** Where a problem is: a file position and key path, or a host. */
export interface Location {
  file?: string;
  line?: number;
  column?: number;
  /** Key path inside the stack file, e.g. `services.web.ports[0]`. */
  path?: string;
  host?: string;
}

export interface Diagnostic {
  severity: Severity;
  summary: string;
  detail?: string;
  hint?: string;
  where?: Location;
  /** The policy rule broken (docs/policy.md: `privileged`, `bind-denied-path`, …), for policy diagnostics. */
  rule?: string;
}

export function error(summary: string, where?: Location, hint?: string): Diagnostic {
  return { severity: 'error', summary, where, hint };
}

export function warning(summary: string, where?: Location, hint?: string): Diagnostic {
  return { severity: 'warning', summary, where, hint };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Thrown by commands to end with diagnostics and an exit code; the CLI entry point catches it. */
export class ExitError extends Error {
  constructor(
    readonly exitCode: number,
    readonly diagnostics: Diagnostic[] = [],
    message = diagnostics.map((d) => d.summary).join('; ') || `exit ${exitCode}`,
  ) {
    super(message);
    this.name = 'ExitError';
  }
}

/** Formats a location as `file:line:col path` or `host H`. */
export function formatLocation(where: Location | undefined): string {
  if (!where) return '';
  const parts: string[] = [];
  if (where.file) {
    let pos = where.file;
    if (where.line !== undefined) pos += `:${where.line}`;
    if (where.line !== undefined && where.column !== undefined) pos += `:${where.column}`;
    parts.push(pos);
  }
  if (where.path) parts.push(where.path);
  if (where.host) parts.push(`host ${where.host}`);
  return parts.join(' ');
}

/**
 * Thrown when a run that was to stay read-only (one the resident process serves: src/cli/resident/) comes to a step
 * that writes — the lock, a build, a saved plan, a change. Its caller runs the command again in a process of its own.
 */
export class WritesNeeded extends Error {
  constructor(readonly step: string) {
    super(`the run needs to write (${step}): it runs in a process of its own`);
    this.name = 'WritesNeeded';
  }
}
