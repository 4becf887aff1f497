/**
 * `post_start` / `pre_stop` hooks as start and stop params: the executor runs them inside the op, so a replica
 * counts as started (for dependents and rollouts) only once its post_start hooks succeeded. Pure.
 * Hooks are not part of the config hash: changing one does not recreate a container (as in Compose); the next
 * start or stop runs the new hooks.
 */
import { Sensitive } from '../sensitive.js';
import type { LifecycleHook, ServiceSpec } from '../stack/types.js';
import type { ExecHook } from './types.js';

function execHook(hook: LifecycleHook): ExecHook {
  const exec: ExecHook = { Cmd: hook.command, Privileged: hook.privileged };
  if (hook.user !== undefined) exec.User = hook.user;
  if (hook.workingDir !== undefined) exec.WorkingDir = hook.workingDir;
  const env = Object.entries(hook.environment).map(([k, v]) =>
    hook.sensitive.includes(k) ? Sensitive.of(v).prefixed(`${k}=`) : `${k}=${v}`,
  );
  if (env.length) exec.Env = env;
  return exec;
}

/** The start params' hooks: `{ postStart }` when the service has post_start hooks. */
export function postStartParams(s: ServiceSpec | undefined): { postStart?: ExecHook[] } {
  return s?.postStart?.length ? { postStart: s.postStart.map(execHook) } : {};
}

/** The stop params' hooks: `{ preStop }` when the service has pre_stop hooks. */
export function preStopParams(s: ServiceSpec | undefined): { preStop?: ExecHook[] } {
  return s?.preStop?.length ? { preStop: s.preStop.map(execHook) } : {};
}

/** What an op's description adds for its hooks: ` (post_start: 2 hooks)`, or nothing. */
export function hookNote(key: 'post_start' | 'pre_stop', s: ServiceSpec | undefined): string {
  const n = (key === 'post_start' ? s?.postStart : s?.preStop)?.length ?? 0;
  return n ? ` (${key}: ${n} hook${n > 1 ? 's' : ''})` : '';
}
