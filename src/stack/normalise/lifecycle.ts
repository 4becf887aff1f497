/**
 * `post_start` and `pre_stop` (compose-spec lifecycle hooks): each a list of { command, user, privileged,
 * working_dir, environment }, run as an exec in the service's container. The schema checked the shapes.
 */
import { isRecord, type KeyPath } from '../key-path.js';
import { sensitiveNames } from '../sensitive-names.js';
import type { LifecycleHook, ServiceSpec } from '../types.js';
import type { NormaliseContext } from './context.js';
import { keyValueEntries, shellWords } from './values.js';

export function normaliseLifecycle(
  spec: ServiceSpec,
  service: Record<string, unknown>,
  at: KeyPath,
  context: NormaliseContext,
): void {
  for (const [key, field] of [
    ['post_start', 'postStart'],
    ['pre_stop', 'preStop'],
  ] as const) {
    const raw = service[key];
    if (!Array.isArray(raw) || !raw.length) continue;
    const hooks = raw.flatMap((entry, i) => {
      const hook = isRecord(entry) ? normaliseHook(entry, [...at, key, i], context) : undefined;
      return hook ? [hook] : [];
    });
    if (hooks.length) spec[field] = hooks;
  }
}

function normaliseHook(entry: Record<string, unknown>, at: KeyPath, context: NormaliseContext) {
  const command = typeof entry.command === 'string' ? shellWords(entry.command) : entry.command;
  if (!Array.isArray(command) || !command.length) {
    context.problems.error([...at, 'command'], 'unbalanced quotes in command');
    return undefined;
  }
  const environment: Record<string, string> = {};
  for (const [name, value] of keyValueEntries(entry.environment)) {
    const v = value ?? context.lookup(name);
    if (v !== undefined) environment[name] = v;
  }
  const hook: LifecycleHook = {
    command: command.map(String),
    privileged: entry.privileged === true,
    environment,
    sensitive: sensitiveNames(environment, context.sensitive),
  };
  if (typeof entry.user === 'string') hook.user = entry.user;
  if (typeof entry.working_dir === 'string') hook.workingDir = entry.working_dir;
  return hook;
}
