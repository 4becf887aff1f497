/**
 * The reconciler: a pure, synchronous function (desired, observed, options) → Plan. It makes every
 * decision; the executor only walks the DAG it returns. Its phases (src/plan/reconciler/) share one
 * Reconciler value (src/plan/reconciler/context.ts) and run in this order; an op is final once added.
 *
 * Replace invariant (enforced by the rollout, src/plan/rollout/): the new container is created under a
 * temporary name → the old one is stopped → the new one is started (and waited healthy, if it has a
 * healthcheck) → only then is the old one removed → the new one is renamed. Should any of these fail,
 * the group's compensation starts the old one again and removes the new one.
 */
import type { DesiredState } from '../stack/types.js';
import type { ObservedState } from '../observe/types.js';
import type { Action, Plan, PlanPolicy } from './types.js';
import { nameCollisions, ownershipProblems } from './ownership-checks.js';
import { hostPortConflicts } from './host-ports.js';
import { newerApiProblems } from './api-features.js';
import type { PlanOptions, Reconciler } from './reconciler/context.js';
import { newReconciler } from './reconciler/inputs.js';
import { replaceChangedNetworks } from './reconciler/replaced-networks.js';
import { reconcileServices } from './reconciler/services.js';
import { removeOrphans } from './reconciler/orphans.js';
import { recreateUnusedReplacedNetworks, removeLeftovers } from './reconciler/leftovers.js';

export type { PlanOptions } from './reconciler/context.js';

export function reconcile(desired: DesiredState, observed: ObservedState, options: PlanOptions = {}): Plan {
  const r = newReconciler(desired, observed, options);
  replaceChangedNetworks(r);
  reconcileServices(r);
  removeOrphans(r);
  recreateUnusedReplacedNetworks(r);
  removeLeftovers(r);
  r.network.finish(r.rollouts);
  checkOwnership(r);
  return planOf(r);
}

/**
 * Objects that are not the stack identity's own are never touched, and no host is sent a key its API version
 * does not know: a plan that would do either is refused.
 */
function checkOwnership(r: Reconciler): void {
  r.diagnostics.push(
    ...ownershipProblems(r.desired, r.observed, r.usableList),
    ...nameCollisions(r.desired, r.observed, r.b.ops),
    ...hostPortConflicts(r.desired, r.observed, r.b.ops),
    ...newerApiProblems(r.desired, r.observed.hosts, r.b.ops),
  );
}

function planOf(r: Reconciler): Plan {
  return {
    stack: r.stack,
    hosts: r.desiredIn.hosts.map((h) => h.name),
    ...(r.overlay.choices.length ? { overlay: r.overlay.choices } : {}),
    changes: r.b.changes,
    operations: r.b.build(),
    compensations: r.b.compensations,
    diagnostics: r.diagnostics,
    placement: r.placement,
    rollouts: r.rollouts,
    ...(r.options.destroy ? {} : policyOf(r.desiredIn)),
  };
}

/**
 * The load's (or rollback's) policy report, for the plan's JSON; nothing when there is neither a policy nor a
 * violation, nor for a destroy (which creates nothing).
 */
function policyOf(desired: DesiredState): { policy?: PlanPolicy } {
  const report = desired.policy;
  if (!report || (!report.policy.source && !report.diagnostics.length)) return {};
  return { policy: { mode: report.policy.mode, violations: report.diagnostics } };
}

export function countChanges(plan: Plan): Record<Action, number> {
  const counts: Record<Action, number> = { create: 0, update: 0, delete: 0, replace: 0 };
  for (const c of plan.changes) if (c.type !== 'image') counts[c.action]++;
  return counts;
}
