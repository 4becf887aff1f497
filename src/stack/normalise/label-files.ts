/**
 * `label_file`: files of `KEY=VALUE` lines (the env-file format) read from inside the project folder, in order, each
 * overriding the one before; the service's own `labels:` win (as compose-go's resolveLabels). `${VAR}` in a label
 * file sees the labels of the files read before it, not the environment (as in compose-go). A label under stack's own
 * prefix is refused here as it is in `labels:` (src/stack/reserved-labels.ts).
 */
import path from 'node:path';
import { LABEL_PREFIX } from '../../labels.js';
import { CONTENT_FILE_LIMIT, describeRefusal } from '../bounded-file.js';
import { parseEnvFile } from '../env-file.js';
import { sortKeys } from '../hosts.js';
import type { KeyPath } from '../key-path.js';
import type { NormaliseContext } from './context.js';

export function labelFileLabels(value: unknown, at: KeyPath, context: NormaliseContext): Record<string, string> {
  const files = typeof value === 'string' ? [value] : Array.isArray(value) ? value.map(String) : [];
  const labels: Record<string, string> = {};
  files.forEach((filePath, i) => {
    const where = Array.isArray(value) ? [...at, i] : at;
    const file = path.resolve(context.workingDir, filePath);
    const read = context.folder.read(file, CONTENT_FILE_LIMIT);
    if (!read.ok) {
      const { summary, hint } = describeRefusal('label_file', filePath, read.refusal, context.folder);
      context.problems.error(where, summary, { hint });
      return;
    }
    const parsed = parseEnvFile(read.bytes.toString('utf8'), context.displayPath(file), (name) => labels[name]);
    for (const d of parsed.diagnostics) context.problems.add(d);
    for (const [key, label] of Object.entries(parsed.values)) {
      if (key === LABEL_PREFIX || key.startsWith(`${LABEL_PREFIX}.`))
        context.problems.error(where, `label_file ${filePath} sets ${key}, a label under stack's own prefix`, {
          hint: `labels under ${LABEL_PREFIX}. say which stack an object belongs to: remove it from the file`,
        });
      else labels[key] = label;
    }
  });
  return labels;
}

/** The labels of the files, then the service's own over them. */
export function withLabelFiles(
  own: Record<string, string>,
  value: unknown,
  at: KeyPath,
  context: NormaliseContext,
): Record<string, string> {
  if (value === undefined) return own;
  return sortKeys({ ...labelFileLabels(value, at, context), ...own });
}
