/**
 * Reading the files a stack names, as untrusted input: a file a stack file names (env_file, secrets/configs
 * `file:`, extends.file, the project's .env) must resolve inside the project folder after symlinks; every file
 * read — the operator's too (-f, --env-file) — must be a regular file under a size limit. A refused file is never
 * opened (a FIFO cannot block, /dev/zero is not read): the checks run on its path, and the open itself is
 * non-blocking and checked again on the descriptor. Returns a refusal rather than throwing; callers turn it
 * into a diagnostic with their own where.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';

/** Stack files and files they extend. */
export const STACK_FILE_LIMIT = 4 * 1024 * 1024;
/** Env files (.env, --env-file, env_file), secret and config files. */
export const CONTENT_FILE_LIMIT = 1024 * 1024;

export type FileRefusal =
  | { kind: 'outside'; resolved: string; symlink: boolean }
  | { kind: 'missing' }
  | { kind: 'not-regular'; type: string }
  | { kind: 'too-large'; limit: number }
  | { kind: 'unreadable'; reason: string };

export type FileRead = { ok: true; bytes: Buffer } | { ok: false; refusal: FileRefusal };

/** The project folder (the first stack file's, or --project-directory): files a stack file names stay in it. */
export class ProjectFolder {
  private realRoot: string | undefined;

  constructor(readonly root: string) {}

  /** True when `file` (absolute) is inside the folder as written, before any symlink is followed. */
  holds(file: string): boolean {
    return isInside(this.root, file);
  }

  /** Reads `file` (absolute) if it and its real path are inside the folder and it is a regular file ≤ limit. */
  read(file: string, limit: number): FileRead {
    if (!this.holds(file)) return refuse({ kind: 'outside', resolved: file, symlink: false });
    let real: string;
    try {
      real = realpathSync(file);
    } catch (err) {
      return refuse(errorRefusal(err));
    }
    if (!isInside(this.real(), real)) return refuse({ kind: 'outside', resolved: real, symlink: true });
    return readRegularFile(real, limit, constants.O_NOFOLLOW);
  }

  private real(): string {
    if (this.realRoot === undefined) {
      try {
        this.realRoot = realpathSync(this.root);
      } catch {
        this.realRoot = this.root;
      }
    }
    return this.realRoot;
  }
}

/** Reads an operator's file (-f, --env-file): anywhere, but a regular file ≤ limit, never blocking. */
export function readOperatorFile(file: string, limit: number): FileRead {
  return readRegularFile(file, limit, 0);
}

/** The first words of a message about a refused file, and what to do. */
export function describeRefusal(
  what: string,
  shown: string,
  refusal: FileRefusal,
  folder?: ProjectFolder,
): { summary: string; hint: string } {
  switch (refusal.kind) {
    case 'outside':
      return {
        summary: `${what} ${shown} is outside the project folder ${folder?.root ?? ''}${refusal.symlink ? ` (through a symlink, to ${refusal.resolved})` : ''}`,
        hint: "a stack file may name only files inside its project folder (the first file's folder, or --project-directory): move the file into it",
      };
    case 'missing':
      return { summary: `${what} ${shown} does not exist`, hint: 'create it or fix the path' };
    case 'not-regular':
      return { summary: `${what} ${shown} is not a regular file (it is ${refusal.type})`, hint: 'name a regular file' };
    case 'too-large':
      return {
        summary: `${what} ${shown} is larger than ${formatLimit(refusal.limit)}`,
        hint: `the limit is ${formatLimit(refusal.limit)}; keep large data out of the stack's files`,
      };
    case 'unreadable':
      return { summary: `${what} ${shown} cannot be read (${refusal.reason})`, hint: 'check its permissions' };
    default:
      return unreachable(refusal);
  }
}

export function formatLimit(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

function readRegularFile(file: string, limit: number, extraFlags: number): FileRead {
  let stats: Stats;
  try {
    stats = statSync(file);
  } catch (err) {
    return refuse(errorRefusal(err));
  }
  const before = checkStats(stats, limit);
  if (before) return refuse(before);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | extraFlags);
  } catch (err) {
    return refuse(errorRefusal(err));
  }
  try {
    const after = checkStats(fstatSync(fd), limit);
    if (after) return refuse(after);
    return readAtMost(fd, limit);
  } finally {
    closeSync(fd);
  }
}

function checkStats(stats: Stats, limit: number): FileRefusal | undefined {
  if (!stats.isFile()) return { kind: 'not-regular', type: fileType(stats) };
  if (stats.size > limit) return { kind: 'too-large', limit };
  return undefined;
}

/** Reads to the end, but never more than limit + 1 bytes (a file may grow, or report size 0 like /proc). */
function readAtMost(fd: number, limit: number): FileRead {
  const buffer = Buffer.alloc(Math.min(limit + 1, 64 * 1024));
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (err) {
      return refuse(errorRefusal(err));
    }
    if (n === 0) break;
    total += n;
    if (total > limit) return refuse({ kind: 'too-large', limit });
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  return { ok: true, bytes: Buffer.concat(chunks, total) };
}

function fileType(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

function errorRefusal(err: unknown): FileRefusal {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
  if (code === 'ELOOP') return { kind: 'not-regular', type: 'a symlink that loops' };
  return { kind: 'unreadable', reason: code ?? 'error' };
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative === ''
    ? false
    : !relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative);
}

function refuse(refusal: FileRefusal): FileRead {
  return { ok: false, refusal };
}

function unreachable(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}
