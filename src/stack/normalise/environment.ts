/**
 * A service's environment: `env_file` files in order (`format: raw` ones taken literally), then `environment`
 * (which wins, as in Compose). `${VAR}` in an env_file sees the variables stack runs with, then the service's
 * `environment`. A key written without a value (`environment: [DEBUG]`) takes its value from the variables stack
 * runs with, and is left out if unset.
 */
import path from 'node:path';
import { CONTENT_FILE_LIMIT, describeRefusal } from '../bounded-file.js';
import { parseEnvFile } from '../env-file.js';
import { isRecord, type KeyPath } from '../key-path.js';
import { sortKeys } from '../hosts.js';
import type { NormaliseContext } from './context.js';
import { keyValueEntries } from './values.js';

export function normaliseEnvironment(
  service: Record<string, unknown>,
  at: KeyPath,
  context: NormaliseContext,
): Record<string, string> {
  const environment: Record<string, string> = {};
  const own = new Map(keyValueEntries(service.environment).map(([key, value]) => [key, value ?? context.lookup(key)]));
  // `${VAR}` in an env_file: the variables stack runs with, then the service's own environment (as in Compose).
  const fileLookup = (name: string) => context.lookup(name) ?? own.get(name);
  const envFiles =
    service.env_file === undefined ? [] : Array.isArray(service.env_file) ? service.env_file : [service.env_file];
  envFiles.forEach((entry, i) => {
    const filePath = isRecord(entry) ? String(entry.path) : String(entry);
    const required = isRecord(entry) ? entry.required !== false : true;
    const where = Array.isArray(service.env_file) ? [...at, 'env_file', i] : [...at, 'env_file'];
    const file = path.resolve(context.workingDir, filePath);
    const read = context.folder.read(file, CONTENT_FILE_LIMIT);
    if (!read.ok) {
      if (read.refusal.kind === 'missing' && !required) return;
      const { summary, hint } = describeRefusal('env_file', filePath, read.refusal, context.folder);
      const missing = read.refusal.kind === 'missing';
      context.problems.error(
        isRecord(entry) ? [...where, 'path'] : where,
        missing ? `${summary} (looked for ${file})` : summary,
        {
          hint: missing ? 'create it, fix the path, or use { path: FILE, required: false }' : hint,
        },
      );
      return;
    }
    const bytes = read.bytes;
    const format = isRecord(entry) && entry.format === 'raw' ? 'raw' : 'compose';
    const parsed = parseEnvFile(bytes.toString('utf8'), context.displayPath(file), fileLookup, format);
    for (const d of parsed.diagnostics) context.problems.add(d);
    Object.assign(environment, parsed.values);
  });
  if (Array.isArray(service.environment))
    service.environment.forEach((item, i) => {
      const name = String(item).split('=')[0];
      if (/\s/.test(name))
        context.problems.error([...at, 'environment', i], `the variable name in "${name}=…" holds blanks`, {
          hint: 'write KEY=value without blanks around = (Compose refuses it too)',
        });
    });
  for (const [key, resolved] of own) {
    if (resolved === undefined) delete environment[key];
    else environment[key] = resolved;
  }
  return sortKeys(environment);
}
