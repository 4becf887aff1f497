/**
 * The variables a stack is interpolated with: the given environment wins over env files; env files are the
 * `.env` in the stack's folder, or the `--env-file`s instead of it (later files win).
 */
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import {
  CONTENT_FILE_LIMIT,
  describeRefusal,
  readOperatorFile,
  type FileRead,
  type ProjectFolder,
} from './bounded-file.js';
import { parseEnvFile } from './env-file.js';
import type { Lookup } from './interpolate.js';

export interface Variables {
  lookup: Lookup;
  diagnostics: Diagnostic[];
}

/**
 * `--env-file`s are the operator's: read from anywhere (regular files ≤ 1 MiB). The default `.env` is the
 * project's: read only from inside the project folder, after symlinks, and skipped when absent.
 */
export function loadVariables(
  env: Record<string, string | undefined>,
  folder: ProjectFolder,
  envFiles: string[] | undefined,
  cwd: string,
  displayPath: (absolute: string) => string,
): Variables {
  const diagnostics: Diagnostic[] = [];
  const fromFiles: Record<string, string> = {};
  const fromEnv: Lookup = (name) => env[name];
  const reads: { file: string; read: FileRead; required: boolean }[] = envFiles?.length
    ? envFiles
        .map((f) => path.resolve(cwd, f))
        .map((file) => ({ file, read: readOperatorFile(file, CONTENT_FILE_LIMIT), required: true }))
    : [dotEnv(folder)];
  for (const { file, read, required } of reads) {
    const display = displayPath(file);
    if (!read.ok) {
      if (read.refusal.kind === 'missing' && !required) continue;
      const { summary, hint } = describeRefusal('env file', display, read.refusal, folder);
      diagnostics.push({ severity: 'error', summary, hint, where: { file: display } });
      continue;
    }
    const parsed = parseEnvFile(read.bytes.toString('utf8'), display, (name) => env[name] ?? fromFiles[name]);
    diagnostics.push(...parsed.diagnostics);
    Object.assign(fromFiles, parsed.values);
  }
  return { lookup: (name) => fromEnv(name) ?? fromFiles[name], diagnostics };
}

function dotEnv(folder: ProjectFolder): { file: string; read: FileRead; required: boolean } {
  const file = path.join(folder.root, '.env');
  return { file, read: folder.read(file, CONTENT_FILE_LIMIT), required: false };
}
