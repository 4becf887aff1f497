/**
 * The variables a stack is interpolated with: the given environment wins over env files; env files are the
 * `.env` in the stack's folder, or the `--env-file`s instead of it (later files win).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import { parseEnvFile } from './env-file.js';
import type { Lookup } from './interpolate.js';

export interface Variables {
  lookup: Lookup;
  diagnostics: Diagnostic[];
}

export function loadVariables(
  env: Record<string, string | undefined>,
  workingDir: string,
  envFiles: string[] | undefined,
  cwd: string,
  displayPath: (absolute: string) => string,
): Variables {
  const diagnostics: Diagnostic[] = [];
  const fromFiles: Record<string, string> = {};
  const fromEnv: Lookup = (name) => env[name];
  const files = envFiles?.length ? envFiles.map((f) => ({ file: path.resolve(cwd, f), required: true })) : [{ file: path.join(workingDir, '.env'), required: false }];
  for (const { file, required } of files) {
    if (!existsSync(file)) {
      if (required) diagnostics.push({ severity: 'error', summary: `env file ${displayPath(file)} does not exist`, where: { file: displayPath(file) } });
      continue;
    }
    const parsed = parseEnvFile(readFileSync(file, 'utf8'), displayPath(file), (name) => env[name] ?? fromFiles[name]);
    diagnostics.push(...parsed.diagnostics);
    Object.assign(fromFiles, parsed.values);
  }
  return { lookup: (name) => fromEnv(name) ?? fromFiles[name], diagnostics };
}
