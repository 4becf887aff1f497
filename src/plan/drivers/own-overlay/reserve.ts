/**
 * What stack's own overlay asks for while the reconciler builds stops and drains (pure): a replica leaves
 * Consul's catalog before it stops, and a start-first replica is in the catalog before its drain. The ids of those
 * deregistrations and registrations are reserved here, named in the stop's or drain's deps, and added by finish
 * (finish.ts) in the plan's order — so no operation is changed once added.
 */
import type { ObservedState } from '../../../observe/types.js';
import type { OperationOf, OverlayDeregisterParams } from '../../types.js';
import { catalogId, catalogNode, catalogService } from '../../../overlay/names.js';
import type { StartedReplica, StopRequest } from '../types.js';
import { endpointsOf } from './endpoints.js';
import type { OverlayBuilder, OverlayPlan } from './overlay-plan.js';

/** A deregistration reserved before a stop, added by finish with the stop's own deps. */
export interface ReservedDeregister {
  id: string;
  host: string;
  label: string;
  resource: string;
  deps: string[];
  params: OverlayDeregisterParams;
}

/** The reservations, in the order they were made (the plan's order of the stops and drains waiting for them). */
export interface Reservations {
  deregisters: ReservedDeregister[];
  /** A start-first replica's create op id → its registrations' ids, in the order of its endpoints. */
  registers: Map<string, string[]>;
  /** `host name` of each container stopped so far: its remove needs no deregistration of its own. */
  stopped: Set<string>;
}

/** What the reservations read. */
export interface ReserveContext {
  stack: string;
  observed: ObservedState;
  b: OverlayBuilder;
  plan: OverlayPlan;
  reserved: Reservations;
}

export function noReservations(): Reservations {
  return { deregisters: [], registers: new Map(), stopped: new Set() };
}

/** Does the overlay finish its part of the plan (DNS, registrations, releases)? finishOverlay's own guard. */
export function overlayFinishing(plan: OverlayPlan, observed: ObservedState): boolean {
  return plan.names.size > 0 && !!observed.overlay?.kv && !!plan.helperImage;
}

/** Before a stop (or a remove without a stop): its replica's deregistrations, reserved. */
export function reserveDeregisters(ctx: ReserveContext, stop: StopRequest): string[] {
  const { b, plan, stack, reserved } = ctx;
  const { host, name } = stop;
  if (stop.kind === 'container.stop') reserved.stopped.add(`${host} ${name}`);
  if (!overlayFinishing(plan, ctx.observed)) return [];
  if (stop.kind === 'container.remove' && reserved.stopped.has(`${host} ${name}`)) return [];
  const c = ctx.observed.hosts[host]?.containers.find((x) => x.name === name);
  if (!c || c.role) return [];
  const nets = c.networks.filter((net) => plan.names.has(net));
  if (!nets.length) return [];
  // In a start-first replace the new replica's registration (same instance id) takes the old one's place.
  const group = stop.group ? b.ops.filter((o) => o.group === stop.group) : [];
  const takenOver = (net: string) =>
    group.some((d) => d.kind === 'rollout.drain') &&
    group.some((o) => o.kind === 'container.create' && endpointsOf(b, o).some(([n]) => n === net));
  const ids: string[] = [];
  for (const key of nets.filter((net) => !takenOver(net)).map((net) => plan.names.get(net)!)) {
    const serviceId = catalogId(stack, c.service, c.slot, key);
    if (!ctx.observed.overlay!.registered[catalogService(stack, key)]?.includes(serviceId)) continue;
    const label = `deregister ${name} ${key}`;
    const id = b.reserve(host, label);
    const params = { node: catalogNode(host), serviceId };
    reserved.deregisters.push({ id, host, label, resource: stop.resource, deps: stop.deps, params });
    ids.push(id);
  }
  return ids;
}

/** Before a start-first replica's drain: its registrations under its temporary name, reserved. */
export function reserveRegisters(ctx: ReserveContext, started: StartedReplica): string[] {
  const { b, plan } = ctx;
  if (!overlayFinishing(plan, ctx.observed)) return [];
  const create = b.byId.get(started.create) as OperationOf<'container.create'>;
  const mine = endpointsOf(b, create).filter(([net]) => plan.wanted.has(net));
  const ids = mine.map(([net]) => b.reserve(started.host, `register ${create.params.name} ${plan.names.get(net)!}`));
  ctx.reserved.registers.set(create.id, ids);
  return ids;
}
