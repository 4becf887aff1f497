/**
 * Where every value of the loaded tree came from. The tree is plain data (objects, arrays, scalars); positions
 * live beside it, keyed by the container that holds an entry, so they survive merging several files, `extends`
 * and anchors: whoever builds a new container copies the positions of the entries it takes.
 */
import type { LineCounter } from 'yaml';
import type { Location } from '../errors.js';
import { formatKeyPath, isRecord, type KeyPath } from './key-path.js';

export interface SourcePosition {
  /** The file as the user named it (relative to the working directory when inside it). */
  file: string;
  line: number;
  column: number;
}

/** One file's text as read: its displayed name and where its lines start. */
export interface SourceText {
  file: string;
  lineCounter: LineCounter;
}

/**
 * Where one map entry (its key and its value) or one sequence item (both the same) starts, as offsets into its
 * file; line and column are worked out only when a problem is reported (loading stays cheap for big files).
 */
export interface EntryPosition {
  source: SourceText;
  key: number;
  value: number;
}

export function toSourcePosition(source: SourceText, offset: number): SourcePosition {
  const { line, col } = source.lineCounter.linePos(offset);
  return { file: source.file, line, column: col };
}

export class SourcePositions {
  private readonly byContainer = new WeakMap<object, Map<string | number, EntryPosition>>();
  private readonly roots = new WeakMap<object, SourcePosition>();

  set(container: object, key: string | number, position: EntryPosition): void {
    let entries = this.byContainer.get(container);
    if (!entries) {
      entries = new Map();
      this.byContainer.set(container, entries);
    }
    entries.set(key, position);
  }

  get(container: object, key: string | number): EntryPosition | undefined {
    return this.byContainer.get(container)?.get(key);
  }

  /** Copies the position of `from[fromKey]` to `to[toKey]`, if known. */
  copy(from: object, fromKey: string | number, to: object, toKey: string | number = fromKey): void {
    const position = this.get(from, fromKey);
    if (position) this.set(to, toKey, position);
  }

  /** Records the start of a file's document for its root container. */
  setRoot(root: object, position: SourcePosition): void {
    this.roots.set(root, position);
  }

  /**
   * The location of `path` in `root`: the deepest entry on the path that exists. Containers point at their key,
   * scalars at their value (so `ports[0]: "80:80"` points at the value, `services.web` at the key `web`).
   */
  locate(root: unknown, path: KeyPath): Location {
    let node: unknown = root;
    let found: SourcePosition | undefined =
      typeof root === 'object' && root !== null ? this.roots.get(root) : undefined;
    for (const segment of path) {
      if (typeof node !== 'object' || node === null) break;
      const entry = this.get(node, segment);
      const child: unknown = Array.isArray(node)
        ? typeof segment === 'number'
          ? node[segment]
          : undefined
        : isRecord(node)
          ? node[segment as string]
          : undefined;
      if (!entry) break;
      found = toSourcePosition(entry.source, typeof child === 'object' && child !== null ? entry.key : entry.value);
      node = child;
    }
    return { ...(found ?? {}), path: path.length ? formatKeyPath(path) : undefined };
  }

  /** The location of the key of `path` (for "unknown key" messages). */
  locateKey(root: unknown, path: KeyPath): Location {
    if (path.length === 0) return this.locate(root, path);
    const parent = this.resolve(root, path.slice(0, -1));
    const entry = typeof parent === 'object' && parent !== null ? this.get(parent, path[path.length - 1]) : undefined;
    return entry
      ? { ...toSourcePosition(entry.source, entry.key), path: formatKeyPath(path) }
      : this.locate(root, path);
  }

  private resolve(root: unknown, path: KeyPath): unknown {
    let node = root;
    for (const segment of path) {
      if (Array.isArray(node) && typeof segment === 'number') node = node[segment];
      else if (isRecord(node)) node = node[segment as string];
      else return undefined;
    }
    return node;
  }
}
