/** Containers nobody claimed: services removed, scaled down, hosts no longer eligible, helpers. Pure. */
import type { ObservedContainer } from '../../observe/types.js';
import { Roles } from '../../labels.js';
import type { HostState, Reconciler } from './context.js';
import { removeContainer, showDelete } from './remove.js';
import { collate } from '../../collate.js';

export function removeOrphans(r: Reconciler): void {
  for (const hs of r.hosts.values())
    for (const c of [...hs.obs.containers].sort((x, y) => collate(x.name, y.name)))
      if (!r.claimed.has(c.id)) removeOrphan(r, hs, c);
}

function removeOrphan(r: Reconciler, hs: HostState, c: ObservedContainer): void {
  const { b } = r;
  const cause = orphanCause(r, c);
  const resource = `service:${c.service}:${c.slot}`;
  // Already removed before a replaced network: only the change is left to show.
  if (r.preRemoved.has(c.id)) return showDelete(b, { ...c, host: hs.obs.name }, resource, c.service, cause);
  if (hs.containerRemovals.some((id) => b.nameOf(id) === c.name)) return;
  if (c.role === Roles.helper && [...hs.files.values()].some((id) => id && b.nameOf(id) === c.name)) return;
  if (removeContainer(r, hs, c, resource, cause, [], !!r.options.pruneVolumes) && c.role !== Roles.helper)
    showDelete(b, { ...c, host: hs.obs.name }, resource, c.service, cause);
}

function orphanCause(r: Reconciler, c: ObservedContainer): string {
  const s = r.desired.services[c.service];
  if (r.options.destroy) return 'destroy';
  if (c.role === Roles.helper) return 'helper left over';
  if (!s) return 'service removed from the file';
  if (c.name.endsWith('_next')) return 'left over from an interrupted replace';
  if (r.placement[c.service]?.[c.slot]) return 'duplicate';
  return s.deploy.mode === 'global' ? 'host no longer eligible' : 'scaled down';
}
