/**
 * The check a saved plan's apply makes under the lock, after observing and planning and before anything is shown,
 * confirmed or written: the plan made now must be the saved one, from the same inputs, hosts and revision.
 */
import { ExitError } from '../errors.js';
import type { DesiredState } from '../stack/types.js';
import type { Planned } from '../apply/pipeline.js';
import type { HashKey } from '../sensitive.js';
import type { Held } from './locked.js';
import {
  SAVED_PLAN_FORMAT,
  SAVED_PLAN_VERSION,
  inputSections,
  observedFingerprints,
  planHash,
  savedRevision,
  staleReasons,
  type SavedPlan,
} from './saved-plan.js';

/** Throws ExitError(1) "saved plan is stale: …" naming every difference; returns when the plan is still exact. */
export async function refuseStalePlan(
  saved: SavedPlan,
  run: { desired: DesiredState; planned: Planned; hashKey: HashKey; held: Held },
): Promise<void> {
  const { desired, planned, hashKey, held } = run;
  const latest = await held.store.latest(desired.name);
  const reasons = staleReasons(saved, {
    format: SAVED_PLAN_FORMAT,
    version: SAVED_PLAN_VERSION,
    stack: desired.name,
    store: held.store.where,
    revision: savedRevision(latest),
    inputs: inputSections(desired, hashKey),
    observed: observedFingerprints(desired, planned.observed),
    planHash: planHash(planned.plan),
  });
  if (!reasons.length) return;
  throw new ExitError(1, [
    {
      severity: 'error',
      summary: `saved plan is stale: ${reasons.join('; ')}`,
      detail: `the plan was made at ${saved.created}; nothing was changed on any host`,
      hint: 'make a new plan with stack plan -o FILE, review it, and apply that one',
    },
  ]);
}
