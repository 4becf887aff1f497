/**
 * The services, in dependency order: each slot is planned one of four ways, then the service's rollout. A replica
 * whose volumes_from source is created again, or is not what it mounts, is replaced like a changed one. Pure.
 */
import { containersBySlot } from '../placement.js';
import { healthTimeoutMs, readyGate } from '../health.js';
import { planRollout } from '../rollout/plan.js';
import type { Reconciler } from './context.js';
import { newServiceRun, newSlot, type ServiceRun, type Slot } from './slot.js';
import { recreateWithNetwork } from './slot-recreate.js';
import { createReplica } from './slot-new.js';
import { requestReplace } from './slot-replace.js';
import { correctDrift } from './slot-drift.js';
import { bySlotNumber } from '../slot-order.js';
import { volumesFromDrift } from './volumes-from-drift.js';

export function reconcileServices(r: Reconciler): void {
  const bySlot = containersBySlot(r.observed);
  for (const name of r.order) {
    const svc = newServiceRun(r, name);
    const slots = Object.entries(r.placement[name] ?? {}).sort(([a], [b]) => bySlotNumber(a, b));
    for (const [slot, host] of slots) reconcileSlot(r, newSlot(r, svc, slot, host, bySlot.get(name)?.get(slot) ?? []));
    if (svc.replaces.length) planServiceRollout(r, svc);
  }
}

function reconcileSlot(r: Reconciler, sl: Slot): void {
  const { current } = sl;
  if (current && r.preRemoved.has(current.id)) recreateWithNetwork(r, sl, current);
  else if (!current) createReplica(r, sl);
  else if (current.configHash !== sl.svc.sc.hash) requestReplace(r, sl, current);
  else {
    const stale = volumesFromDrift(r, sl, current);
    if (stale) requestReplace(r, sl, current, stale);
    else correctDrift(r, sl, current);
  }
}

function planServiceRollout(r: Reconciler, svc: ServiceRun): void {
  const planned = planRollout(r.b.add.bind(r.b), svc.s, svc.replaces, {
    gate: readyGate(svc.s),
    healthTimeoutMs: healthTimeoutMs(svc.s.healthcheck),
    hostOffset: r.rollouts.length,
    network: r.network,
  });
  r.rollouts.push(planned.rollout);
  r.b.compensations.push(...planned.compensations);
  r.diagnostics.push(...planned.diagnostics);
  for (const x of planned.removals) r.hosts.get(x.host)!.containerRemovals.push(x.id);
  svc.records.push(...planned.replicas);
}
