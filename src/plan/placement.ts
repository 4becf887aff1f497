/**
 * Placement: replicas spread over the hosts that satisfy the constraints, stable. An existing replica
 * stays where it is while its host is still eligible (scaling 3→5 creates 2 and moves none); global
 * mode runs one per eligible host; a replica with a named volume stays on its host. With
 * deploy.placement.max_replicas_per_node no host gets more than that many of a service's replicas (one over the
 * limit moves), and more replicas than the eligible hosts can hold is an error before any write.
 */
import type { ConstraintSpec, DesiredState, HostSpec, ServiceSpec } from '../stack/types.js';
import type { ObservedContainer, ObservedState } from '../observe/types.js';
import { error, warning, type Diagnostic } from '../errors.js';
import { Roles } from '../labels.js';
import { coPlaced, placementRounds, sourceServices } from './co-placement.js';
import { collate } from '../collate.js';

export function hostValue(host: HostSpec, field: string): string | undefined {
  if (field === 'node.hostname' || field === 'node.id') return host.name;
  if (field === 'node.role') return host.labels.role ?? 'worker';
  if (field === 'node.platform.os') return host.labels.os ?? 'linux';
  if (field === 'node.platform.arch') return host.labels.arch ?? 'x86_64';
  if (field.startsWith('node.labels.')) return host.labels[field.slice('node.labels.'.length)];
  if (field.startsWith('engine.labels.')) return host.labels[field.slice('engine.labels.'.length)];
  return undefined;
}

export function satisfies(host: HostSpec, constraints: readonly ConstraintSpec[]): boolean {
  return constraints.every((c) => {
    const v = hostValue(host, c.field);
    return c.op === '==' ? v === c.value : v !== c.value;
  });
}

export function eligibleHosts(desired: DesiredState, service: ServiceSpec, usable: ReadonlySet<string>): HostSpec[] {
  return desired.hosts.filter((h) => usable.has(h.name) && satisfies(h, service.deploy.constraints));
}

/** Deterministic choice among several containers claiming one slot: a running non-temporary one first. */
export function rankContainers(cs: ObservedContainer[]): ObservedContainer[] {
  const score = (c: ObservedContainer) => (c.role === Roles.temporary ? 2 : 0) + (c.state === 'running' ? 0 : 1);
  return [...cs].sort((a, b) => score(a) - score(b) || collate(a.host, b.host) || collate(a.name, b.name));
}

/** Service containers of the stack, by service and slot (helpers excluded). */
export function containersBySlot(observed: ObservedState): Map<string, Map<string, ObservedContainer[]>> {
  const out = new Map<string, Map<string, ObservedContainer[]>>();
  for (const host of Object.values(observed.hosts))
    for (const c of host.containers) {
      if (c.role === Roles.helper) continue;
      const bySlot = out.get(c.service) ?? new Map<string, ObservedContainer[]>();
      bySlot.set(c.slot, [...(bySlot.get(c.slot) ?? []), c]);
      out.set(c.service, bySlot);
    }
  return out;
}

function hasNamedVolume(desired: DesiredState, s: ServiceSpec): boolean {
  return s.mounts.some(
    (m) => m.type === 'volume' && m.source && desired.volumes[m.source] && !desired.volumes[m.source].external,
  );
}

export interface PlacementResult {
  /** service → slot → host */
  placement: Record<string, Record<string, string>>;
  diagnostics: Diagnostic[];
}

/** What placing the services shares: the replicas kept or placed so far, the load per host, the problems found. */
interface PlacementRun {
  desired: DesiredState;
  usable: ReadonlySet<string>;
  existing: Map<string, Map<string, ObservedContainer[]>>;
  placement: Record<string, Record<string, string>>;
  load: Map<string, number>;
  diagnostics: Diagnostic[];
}

interface Unplaced {
  service: ServiceSpec;
  slot: string;
  eligible: HostSpec[];
}

/**
 * Places every replica of every service. `usable` are the hosts that were observed without error. A service with
 * `volumes_from` another service is placed after it, only on hosts where that service has a replica
 * (src/plan/co-placement.ts).
 */
export function place(desired: DesiredState, observed: ObservedState, usable: ReadonlySet<string>): PlacementResult {
  const run: PlacementRun = {
    desired,
    usable,
    existing: containersBySlot(observed),
    placement: {},
    load: new Map<string, number>(desired.hosts.map((h) => [h.name, 0])),
    diagnostics: [],
  };
  for (const round of placementRounds(desired)) {
    const unplaced: Unplaced[] = [];
    for (const name of round) placeService(run, desired.services[name], unplaced);
    placeNew(desired, run.placement, run.load, unplaced);
  }
  return { placement: run.placement, diagnostics: run.diagnostics };
}

/** First pass for one service: a global one on every eligible host; each replica that keeps its host keeps it. */
function placeService(run: PlacementRun, s: ServiceSpec, unplaced: Unplaced[]): void {
  const { desired, placement } = run;
  const name = s.name;
  const bump = (h: string) => run.load.set(h, (run.load.get(h) ?? 0) + 1);
  const where = { path: `services.${name}.deploy` };
  placement[name] = {};
  const byConstraints = eligibleHosts(desired, s, run.usable);
  if (byConstraints.length === 0) {
    const text = s.deploy.constraints.map((c) => c.text).join(', ');
    run.diagnostics.push(
      error(`service ${name}: no host satisfies the placement constraints${text ? ` (${text})` : ''}`, where),
    );
    return;
  }
  const eligible = coPlaced(s, byConstraints, placement, run.diagnostics);
  if (!eligible) return;
  const eligibleNames = new Set(eligible.map((h) => h.name));
  if (s.deploy.mode === 'global') {
    for (const h of eligible) {
      placement[name][h.name] = h.name;
      bump(h.name);
    }
    return;
  }
  if (overCapacity(s, eligible, run.diagnostics)) return;
  const slots = run.existing.get(name) ?? new Map<string, ObservedContainer[]>();
  for (let i = 1; i <= s.deploy.replicas; i++) {
    const slot = String(i);
    const current = rankContainers(slots.get(slot) ?? [])[0];
    if (current && eligibleNames.has(current.host) && underCap(s, placement[name], current.host)) {
      placement[name][slot] = current.host;
      bump(current.host);
    } else if (current && staysForVolume(run, s, current)) {
      placement[name][slot] = current.host;
      bump(current.host);
      run.diagnostics.push(
        warning(
          `service ${name} replica ${slot} stays on ${current.host}, which no longer satisfies its constraints, because it has a named volume there`,
          where,
          'remove the container (and move its data) to let it move',
        ),
      );
    } else unplaced.push({ service: s, slot, eligible });
  }
}

/**
 * A replica on a host that is no longer eligible stays there when it has a named volume (its data is there) — unless
 * it takes volumes_from a service, whose replica it must run next to.
 */
function staysForVolume(run: PlacementRun, s: ServiceSpec, current: ObservedContainer): boolean {
  const eligible = eligibleHosts(run.desired, s, run.usable).some((h) => h.name === current.host);
  return !eligible && run.usable.has(current.host) && hasNamedVolume(run.desired, s) && !sourceServices(s).length;
}

function countByHost(slots: Record<string, string>): Map<string, number> {
  const count = new Map<string, number>();
  for (const h of Object.values(slots)) count.set(h, (count.get(h) ?? 0) + 1);
  return count;
}

/** Whether one more replica of `s` fits on `host` under deploy.placement.max_replicas_per_node. */
function underCap(s: ServiceSpec, placed: Record<string, string>, host: string): boolean {
  const cap = s.deploy.maxReplicasPerNode;
  return !cap || Object.values(placed).filter((h) => h === host).length < cap;
}

/** More replicas than max_replicas_per_node lets the eligible hosts hold: refused (Swarm would leave them pending). */
function overCapacity(s: ServiceSpec, eligible: HostSpec[], diagnostics: Diagnostic[]): boolean {
  const cap = s.deploy.maxReplicasPerNode;
  if (!cap || s.deploy.replicas <= cap * eligible.length) return false;
  diagnostics.push(
    error(
      `service ${s.name}: ${s.deploy.replicas} replicas do not fit ${cap} per host on the ${eligible.length} eligible host${eligible.length > 1 ? 's' : ''} (${eligible.map((h) => h.name).join(', ')})`,
      { path: `services.${s.name}.deploy.placement.max_replicas_per_node` },
      `lower replicas to ${cap * eligible.length}, raise max_replicas_per_node, or make more hosts eligible`,
    ),
  );
  return true;
}

/** Second pass: new replicas go to the eligible host with the fewest of this service, then the fewest overall. */
function placeNew(
  desired: DesiredState,
  placement: Record<string, Record<string, string>>,
  load: Map<string, number>,
  unplaced: Unplaced[],
): void {
  const order = new Map(desired.hosts.map((h, i) => [h.name, i]));
  const mineOf = new Map<string, Map<string, number>>();
  for (const { service, slot, eligible } of unplaced) {
    const mine = mineOf.get(service.name) ?? countByHost(placement[service.name]);
    mineOf.set(service.name, mine);
    // The minimum by (this service's replicas, all replicas, inventory order): one pass, no sort.
    const cap = service.deploy.maxReplicasPerNode;
    const room = cap ? eligible.filter((h) => (mine.get(h.name) ?? 0) < cap) : eligible;
    const candidates = room.length ? room : eligible;
    let best = candidates[0];
    for (const h of candidates.slice(1))
      if (
        ((mine.get(h.name) ?? 0) - (mine.get(best.name) ?? 0) ||
          (load.get(h.name) ?? 0) - (load.get(best.name) ?? 0) ||
          order.get(h.name)! - order.get(best.name)!) < 0
      )
        best = h;
    placement[service.name][slot] = best.name;
    mine.set(best.name, (mine.get(best.name) ?? 0) + 1);
    load.set(best.name, (load.get(best.name) ?? 0) + 1);
  }
}
