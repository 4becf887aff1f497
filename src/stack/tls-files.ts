/**
 * Checks a TLS file a host names before anything opens it: it exists, it is a regular file (never a FIFO, a
 * device or a directory: reading one would block or never end) of at most MAX_TLS_FILE_BYTES, a private key
 * is readable by its owner only, and — for files a stack file names (x-stack.hosts) — it lies inside the project
 * folder after symlinks. Returns the problem (what and what to do), or undefined. Reads metadata only.
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';

export const MAX_TLS_FILE_BYTES = 1024 * 1024;

export interface TlsFileProblem {
  summary: string;
  hint: string;
}

export type TlsPart = 'ca' | 'cert' | 'key';

/** `confineTo`: the project folder the file must resolve inside (files named by a stack file). */
export function checkTlsFile(
  file: string,
  part: TlsPart,
  confineTo?: string,
  /** What the file is, for messages ("TLS key", "SSH identity"); default `TLS <part>`. */
  what = `TLS ${part}`,
): TlsFileProblem | undefined {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return {
      summary: `${what} file ${file} does not exist`,
      hint: 'give the path of a PEM file (relative paths start at the file that names it)',
    };
  }
  if (confineTo !== undefined && !inside(real, confineTo)) {
    return {
      summary: `${what} file ${file} is outside the project folder ${confineTo}${real !== file ? ` (it resolves to ${real})` : ''}`,
      hint: 'a stack file may name only files inside its project folder; put the host in an inventory (-i) to use files elsewhere',
    };
  }
  const stat = statSync(real);
  if (!stat.isFile())
    return {
      summary: `${what} file ${file} is not a regular file`,
      hint: `give the path of a ${part === 'key' || what.startsWith('TLS') ? 'PEM' : 'regular'} file`,
    };
  if (stat.size > MAX_TLS_FILE_BYTES)
    return {
      summary: `${what} file ${file} is larger than ${MAX_TLS_FILE_BYTES} bytes`,
      hint: 'give the path of a PEM file',
    };
  if (part === 'key' && (stat.mode & 0o077) !== 0) {
    return {
      summary: `${what} file ${file} can be read or written by group or others (mode ${(stat.mode & 0o777).toString(8).padStart(3, '0')})`,
      hint: `chmod 600 ${file}`,
    };
  }
  return undefined;
}

function inside(real: string, folder: string): boolean {
  let root: string;
  try {
    root = realpathSync(folder);
  } catch {
    return false;
  }
  const relative = path.relative(root, real);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}
