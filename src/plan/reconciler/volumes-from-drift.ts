/**
 * Whether a replica in place still mounts what its volumes_from sources hold. The Engine copies a source's mounts
 * once, at create (HostConfig.VolumesFrom names the container, not its volumes), so a replica keeps the volumes of a
 * source container that was since removed and created again. Compose resolves `volumes_from: [SERVICE]` to the source
 * container's ID before hashing (pkg/compose/convergence.go, resolveVolumeFrom), so a source created again recreates
 * its dependents; stack's hash holds the source's config hash instead (config.ts), and this module adds the rest:
 * a source this plan creates (again), and a replica whose mounts are not its source's now. Pure.
 */
import type { Reconciler, ReplicaRecord } from './context.js';
import type { ObservedContainer, ObservedMount } from '../../observe/types.js';
import type { FieldChange } from '../types.js';
import type { Slot } from './slot.js';
import { volumesFromSources } from './volumes-from.js';

/** Why the replica in place must be replaced for its volumes_from although its config is unchanged. */
export interface VolumesFromDrift {
  cause: string;
  fields: FieldChange[];
}

/**
 * The replica in place takes volumes_from a source container that this plan creates (removed by hand, moved to this
 * host, recreated with a replaced network, or replaced by its rollout), or mounts other volumes than its source
 * container on this host holds now (that container was created again outside stack, or it is another slot's): the
 * replica is replaced, after its source. Undefined when it mounts what its sources hold.
 */
export function volumesFromDrift(r: Reconciler, sl: Slot, current: ObservedContainer): VolumesFromDrift | undefined {
  const s = sl.svc.s;
  if (!s.volumesFrom) return undefined;
  const names = volumesFromSources(r, s, sl.host).names;
  const own = ownTargets(sl);
  const seen = new Set<string>();
  const causes: string[] = [];
  const fields: FieldChange[] = [];
  for (const entry of s.volumesFrom) {
    const label = entry.kind === 'service' ? entry.service : `container:${entry.container}`;
    const name = entry.kind === 'service' ? names[entry.service] : entry.container;
    if (name === undefined || seen.has(label)) continue;
    seen.add(label);
    const rec = entry.kind === 'service' ? sourceRecord(r, entry.service, sl.host, name) : undefined;
    if (rec && !rec.observed) {
      causes.push(`volumes_from ${label}: ${name} is created by this plan`);
      continue;
    }
    const source = rec?.observed ?? sourceContainer(r, sl.host, name);
    const differ = source ? differingVolumes(source, current, own) : [];
    if (!differ.length) continue;
    causes.push(`volumes_from ${label}: mounts the volumes of an earlier ${name}`);
    for (const d of differ)
      fields.push({ path: `volumes_from.${label}:${d.target}`, before: d.before, after: d.after });
  }
  return causes.length ? { cause: causes.join('; '), fields } : undefined;
}

/** The source service's replica record for its container on the host (a kept one carries what was observed). */
function sourceRecord(r: Reconciler, service: string, host: string, name: string): ReplicaRecord | undefined {
  return r.replicas.get(service)?.find((x) => x.host === host && x.name === name);
}

/** A container outside the stack (volumes_from container:NAME), or one of the stack's, by name on the host. */
function sourceContainer(r: Reconciler, host: string, name: string): ObservedContainer | undefined {
  const obs = r.hosts.get(host)?.obs;
  return obs?.foreignContainers?.find((c) => c.name === name) ?? obs?.containers.find((c) => c.name === name);
}

/** Where the replica mounts something of its own, which the Engine mounts over a source's mount at the same path. */
function ownTargets(sl: Slot): Set<string> {
  const s = sl.svc.s;
  return new Set([
    ...s.mounts.map((m) => m.target),
    ...Object.keys(s.tmpfs ?? {}),
    ...sl.svc.sc.bundles.map((b) => b.dir),
  ]);
}

const shortName = (m: ObservedMount | undefined) =>
  m?.name === undefined ? '(none)' : /^[0-9a-f]{64}$/.test(m.name) ? m.name.slice(0, 12) : m.name;

/** The source's volumes the replica does not mount at the same path (anonymous volume names shortened). */
function differingVolumes(source: ObservedContainer, current: ObservedContainer, own: Set<string>) {
  const out: { target: string; before: string; after: string }[] = [];
  for (const m of source.mounts) {
    if (m.type !== 'volume' || !m.name || own.has(m.destination)) continue;
    const mine = current.mounts.find((x) => x.destination === m.destination);
    if (mine?.name !== m.name) out.push({ target: m.destination, before: shortName(mine), after: shortName(m) });
  }
  return out;
}
