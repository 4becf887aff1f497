/**
 * Top-level secrets and configs: exactly one of `file`, `environment`, `content` (configs only) or `external`.
 * Content is read now (files relative to the working directory) and hashed; it is never printed.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { CONTENT_FILE_LIMIT, describeRefusal } from '../bounded-file.js';
import type { FileObjectSpec } from '../types.js';
import { isRecord } from '../key-path.js';
import { sortKeys } from '../hosts.js';
import type { NormaliseContext } from './context.js';

export function normaliseFileObjects(
  value: unknown,
  kind: 'secret' | 'config',
  context: NormaliseContext,
): Record<string, FileObjectSpec> {
  const result: Record<string, FileObjectSpec> = {};
  if (!isRecord(value)) return result;
  const top = `${kind}s`;
  for (const [key, raw] of Object.entries(value)) {
    const spec = isRecord(raw) ? raw : {};
    const at = [top, key];
    if (!hasOneSource(spec, kind, key, at, context)) continue;
    const external = spec.external === true;
    const object: FileObjectSpec = {
      key,
      name: typeof spec.name === 'string' ? spec.name : external ? key : `${context.stackName}_${key}`,
      kind,
      source: 'external',
      external,
    };
    const content = readContent(spec, object, at, context);
    if (content === null) continue;
    if (content) {
      object.content = content;
      object.contentHash = createHash('sha256').update(content).digest('hex');
    }
    result[key] = object;
  }
  return sortKeys(result);
}

/** Exactly one of the sources is set; else a problem is reported and false returned. */
function hasOneSource(
  spec: Record<string, unknown>,
  kind: 'secret' | 'config',
  key: string,
  at: string[],
  context: NormaliseContext,
): boolean {
  const sources = ['file', 'environment', ...(kind === 'config' ? ['content'] : []), 'external'].filter(
    (s) => spec[s] !== undefined && spec[s] !== false,
  );
  if (sources.length === 1) return true;
  context.problems.error(
    at,
    sources.length ? `${kind} ${key} sets ${sources.join(' and ')}; set exactly one` : `${kind} ${key} has no source`,
    {
      atKey: true,
      hint: `give one of file:, environment:${kind === 'config' ? ', content:' : ''} or external: true`,
    },
  );
  return false;
}

/**
 * The object's content from its source (recorded in `object.source`): undefined when external, null when it cannot
 * be read (a problem is reported).
 */
function readContent(
  spec: Record<string, unknown>,
  object: FileObjectSpec,
  at: string[],
  context: NormaliseContext,
): Buffer | undefined | null {
  const { kind, key } = object;
  if (typeof spec.file === 'string') {
    object.source = `file:${spec.file}`;
    const file = path.resolve(context.workingDir, spec.file);
    const read = context.folder.read(file, CONTENT_FILE_LIMIT);
    if (read.ok) return read.bytes;
    const { summary, hint } = describeRefusal(`${kind} file`, spec.file, read.refusal, context.folder);
    const missing = read.refusal.kind === 'missing';
    context.problems.error([...at, 'file'], missing ? `${summary} (looked for ${file})` : summary, {
      hint: missing
        ? "create it or fix the path (relative paths start at the project folder: the first stack file's, or --project-directory)"
        : hint,
    });
    return null;
  }
  if (typeof spec.environment === 'string') {
    object.source = `environment:${spec.environment}`;
    const variable = context.lookup(spec.environment);
    if (variable !== undefined) return Buffer.from(variable, 'utf8');
    context.problems.error(
      [...at, 'environment'],
      `${kind} ${key} reads variable ${spec.environment}, which is not set`,
      {
        hint: `set ${spec.environment} in the environment or an env file`,
      },
    );
    return null;
  }
  if (typeof spec.content === 'string') {
    object.source = 'content';
    return Buffer.from(spec.content, 'utf8');
  }
  return undefined;
}
