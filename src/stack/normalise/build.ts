/**
 * `build:` → BuildSpec. The stack file is application input: the context is a folder inside the project folder
 * (no `..` out of it, no absolute path elsewhere, no URL or git context: those would make stack fetch what the file
 * names), the Dockerfile is inside the context. Without the inventory's `registry:` and `builder:`, `build:` is
 * refused with that reason. The image is the repository it will be pushed to; src/build/ adds the digest.
 */
import path from 'node:path';
import type { BuildSpec, BuildTarget } from '../types.js';
import { isRecord, scalarText, type KeyPath } from '../key-path.js';
import { sortKeys, stringMap } from '../hosts.js';
import { sensitiveNames } from '../sensitive-names.js';
import type { NormaliseContext } from './context.js';
import { keyValueEntries } from './values.js';

/** A remote context: a URL (`https://…`, `git://…`), `git@host:…`, or a `github.com/…` shorthand. */
const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git@|github\.com\/)/i;

/** The repository a service's image is pushed to: `REGISTRY/PROJECT-SERVICE`, lowercase, a valid name. */
export function buildRepository(target: BuildTarget, stackName: string, service: string): string {
  const name = `${stackName}-${service}`
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/[._-]{2,}/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '');
  return `${target.registry}/${name}`;
}

/** The service's build, or undefined (with an error) when it cannot be built. */
export function normaliseBuild(
  service: string,
  value: unknown,
  at: KeyPath,
  context: NormaliseContext,
): BuildSpec | undefined {
  const { problems } = context;
  if (!context.build) {
    problems.error(at, `service ${service} has build: but the inventory names no registry: and builder:`, {
      atKey: true,
      hint: 'add registry: HOST[:PORT] and builder: HOST to the inventory (-i), or build in CI and name the image with image:',
    });
    return undefined;
  }
  const long = isRecord(value) ? value : { context: value };
  const contextDir = contextFolder(service, long.context, isRecord(value) ? [...at, 'context'] : at, context);
  if (contextDir === undefined) return undefined;
  const dockerfile = dockerfilePath(service, long, contextDir, at, context);
  if (dockerfile === undefined) return undefined;
  const args = buildArgs(long.args, context);
  const spec: BuildSpec = {
    context: contextDir,
    dockerfile,
    args,
    labels: stringMap(long.labels),
  };
  if (typeof long.dockerfile_inline === 'string') spec.dockerfileInline = long.dockerfile_inline;
  if (typeof long.target === 'string') spec.target = long.target;
  const sensitive = sensitiveNames(args, context.sensitive);
  if (sensitive.length) spec.sensitiveArgs = sensitive;
  return spec;
}

function contextFolder(service: string, value: unknown, where: KeyPath, context: NormaliseContext): string | undefined {
  const written = value === undefined ? '.' : scalarText(value);
  if (REMOTE.test(written)) {
    context.problems.error(where, `service ${service}: the build context ${written} is remote`, {
      hint: 'stack builds only from a folder of the project: clone it there, then give its path as context:',
    });
    return undefined;
  }
  const resolved = path.resolve(context.workingDir, written);
  if (resolved !== path.resolve(context.workingDir) && !context.folder.holds(resolved)) {
    context.problems.error(where, `service ${service}: the build context ${written} is outside the project folder`, {
      hint: `a build reads only files under ${context.displayPath(context.workingDir) || '.'}: move the context there`,
    });
    return undefined;
  }
  return resolved;
}

function dockerfilePath(
  service: string,
  long: Record<string, unknown>,
  contextDir: string,
  at: KeyPath,
  context: NormaliseContext,
): string | undefined {
  if (long.dockerfile !== undefined && long.dockerfile_inline !== undefined) {
    context.problems.error([...at, 'dockerfile_inline'], 'dockerfile and dockerfile_inline are both set', {
      atKey: true,
      hint: 'keep one of them (Compose refuses both too)',
    });
    return undefined;
  }
  const written = typeof long.dockerfile === 'string' ? long.dockerfile : 'Dockerfile';
  const resolved = path.resolve(contextDir, written);
  const relative = path.relative(contextDir, resolved);
  if (!relative || relative.startsWith('..') || path.isAbsolute(relative)) {
    context.problems.error(
      [...at, 'dockerfile'],
      `service ${service}: the Dockerfile ${written} is outside the build context`,
      {
        hint: 'put the Dockerfile inside the context folder (stack sends the context alone to the builder)',
      },
    );
    return undefined;
  }
  return relative.split(path.sep).join('/');
}

/** `args:` as a map; a name without a value takes it from the environment (Compose's rule), left out when unset. */
function buildArgs(value: unknown, context: NormaliseContext): Record<string, string> {
  const args: Record<string, string> = {};
  for (const [key, v] of keyValueEntries(value)) {
    const resolved = v ?? context.lookup(key);
    if (resolved !== undefined) args[key] = resolved;
  }
  return sortKeys(args);
}
