/**
 * The executor walks the plan's DAG and makes no decisions: it dispatches on the operation kind (operations/), runs
 * writes under a per-host and a global limit (slots.ts), and emits events to a reporter (events.ts). A failed
 * operation skips its dependents only (with the root cause); independent services and other hosts finish
 * (dag-walker.ts). When an operation of a replace group fails or is skipped after the group began, the group's
 * compensation runs (compensation.ts: start the old container again, remove the new one).
 *
 * Faults: a host whose daemon cannot be reached is marked lost (lost-hosts.ts) and gets no more
 * operations; they are skipped with that failure as root cause. An interruption (interruption.ts)
 * starts nothing new, lets operations in flight finish, and on its hard signal returns at once with
 * outcome `interrupted`. Rolling updates follow their rollout's policy (rollout.ts). The run: apply-run.ts.
 */
import type { Plan } from '../plan/types.js';
import { ApplyRun } from './apply-run.js';
import type { ApplyOptions } from './options.js';
import type { ApplyResult } from './result.js';

export type { RolloutOutcome, RolloutFailure } from './rollout.js';
export type { ApplyEvent, OpRef, Reporter } from './events.js';
export type { ApplyOutcome, ApplyResult, OpStatus, RootCause } from './result.js';
export type { ApplyOptions } from './options.js';
export { runOperation } from './operations/index.js';

export function apply(plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  return new ApplyRun(plan, options).run();
}

/** The bytes of secrets and configs of a desired state, by plan reference. */
export function contentsOf(desired: {
  secrets: Record<string, { content?: Buffer }>;
  configs: Record<string, { content?: Buffer }>;
}): (ref: string) => Buffer {
  return (r: string) => {
    const [kind, key] = [r.slice(0, r.indexOf(':')), r.slice(r.indexOf(':') + 1)];
    const obj = kind === 'secret' ? desired.secrets[key] : desired.configs[key];
    if (!obj?.content) throw new Error(`no content for ${r}`);
    return obj.content;
  };
}
