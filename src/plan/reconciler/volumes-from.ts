/**
 * volumes_from on one host: the container of each source service on the replica's host (the lowest slot there; placement
 * put one there, src/plan/co-placement.ts), and the op after which that container exists under that name — the
 * source is planned first (an implicit depends_on), so its replica records are known. Pure.
 */
import { containerName } from '../config.js';
import { sourceServices } from '../co-placement.js';
import type { Reconciler } from './context.js';
import type { ServiceSpec } from '../../stack/types.js';
import { bySlotNumber } from '../slot-order.js';

export interface VolumesFromSources {
  /** Source service → its container's name on this host. */
  names: Record<string, string>;
  /** The ops the create waits for: each source container's creation (or rename) in this plan. */
  deps: (string | undefined)[];
}

export function volumesFromSources(r: Reconciler, s: ServiceSpec, host: string): VolumesFromSources {
  const out: VolumesFromSources = { names: {}, deps: [] };
  for (const src of sourceServices(s)) {
    const spec = r.desired.services[src];
    const slot = Object.entries(r.placement[src] ?? {})
      .filter(([, h]) => h === host)
      .map(([slot]) => slot)
      .sort(bySlotNumber)[0];
    if (!spec || slot === undefined) continue;
    const name = containerName(r.stack, spec, slot);
    out.names[src] = name;
    const rec = r.replicas.get(src)?.find((x) => x.host === host && x.name === name);
    if (rec) out.deps.push(rec.final ?? rec.started);
  }
  return out;
}
