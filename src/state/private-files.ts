/**
 * The local state directory is private to the user who runs stack: folders 0700, files 0600. The modes are given
 * when a folder or file is created (never a chmod afterwards), so there is no moment when others could open it;
 * the process's umask can only take bits away. What exists already (made by an older version of stack, or by hand)
 * is not changed: a folder or file that group or others may access is warned about, once per run, with the
 * `chmod` that fixes it.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { warning, type Diagnostic } from '../errors.js';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Bits that let a group or others in. */
const OPEN_BITS = 0o077;

/** `mkdir -p` whose every created folder is 0700. */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Creates a 0600 file; fails with EEXIST when it exists. */
export function writePrivateFile(file: string, data: string): void {
  writeFileSync(file, data, { flag: 'wx', mode: PRIVATE_FILE_MODE });
}

/** Writes a 0600 file in place of one that may exist: removed first, so the new one does not keep its mode. */
export function replacePrivateFile(file: string, data: string): void {
  rmSync(file, { force: true });
  writePrivateFile(file, data);
}

/** Receives the warning about the state directory's modes (at most one per store). */
export type StateWarn = (diagnostic: Diagnostic) => void;

/** A path for a shell: as is when it is plain, else in single quotes. */
function shellWord(p: string): string {
  return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

/** The warning for a state folder or file that group or others may access. */
export function openModeWarning(p: string, mode: number, isDir: boolean, root: string): Diagnostic {
  const kind = isDir ? 'folder' : 'file';
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  const d = warning(
    `local state ${kind} ${p} can be read by group or others (mode ${octal})`,
    undefined,
    `chmod ${isDir ? '700' : '600'} ${shellWord(p)}, or for the whole state directory: chmod -R go= ${shellWord(root)}`,
  );
  d.detail =
    "The local state directory holds the stack's identity, lock and revisions. stack creates its folders 0700 and " +
    'files 0600, but leaves the mode of existing ones (made by an older version, or by hand) as it is.';
  return d;
}

/** Looks at the modes of the state folders and files a store reads; the first open one is warned about. */
export class ModeCheck {
  private warned = false;
  private readonly seen = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly warn: StateWarn | undefined,
  ) {}

  /** Checks each path once (a missing one is not a problem here). */
  look(...paths: string[]): void {
    if (!this.warn || process.platform === 'win32') return;
    for (const p of paths) {
      if (this.warned) return;
      if (this.seen.has(p)) continue;
      this.seen.add(p);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if ((st.mode & OPEN_BITS) === 0) continue;
      this.warned = true;
      this.warn(openModeWarning(p, st.mode, st.isDirectory(), this.root));
    }
  }
}
