/** The slot's other containers (duplicates, kept ones, or the replica on a host it moved from) are removed. Pure. */
import type { ObservedContainer } from '../../observe/types.js';
import { Roles } from '../../labels.js';
import type { Reconciler } from './context.js';
import { removeContainer, showDelete } from './remove.js';
import type { Slot } from './slot.js';

/**
 * Every candidate but the one in place. `kept`: a container kept by an unfinished rollout is named as such
 * (the drift path); otherwise every other one is a duplicate (the recreate path).
 */
export function removeDuplicates(r: Reconciler, sl: Slot, current: ObservedContainer, kept: boolean): void {
  for (const c of sl.candidates.filter((c) => c.id !== current.id)) {
    r.claimed.add(c.id);
    const isKept = kept && c.role === Roles.kept;
    const why = isKept ? 'previous version kept by an unfinished rollout' : 'duplicate of the replica';
    const volumes = !!r.options.pruneVolumes;
    if (r.preRemoved.has(c.id) || removeContainer(r, r.hosts.get(c.host), c, sl.resource, why, [], volumes))
      showDelete(r.b, c, sl.resource, sl.svc.name, isKept ? 'kept by an unfinished rollout' : 'duplicate');
  }
}

/** The replica's containers on other hosts, after the new one has started here. */
export function removeMoved(r: Reconciler, sl: Slot, started: string): void {
  for (const c of sl.candidates.filter((c) => c.host !== sl.host)) {
    r.claimed.add(c.id);
    const cause = `moved to ${sl.host}`;
    const removal =
      r.preRemoved.get(c.id)?.op ??
      removeContainer(r, r.hosts.get(c.host), c, sl.resource, cause, [started], !!r.options.pruneVolumes);
    if (removal) showDelete(r.b, c, sl.resource, sl.svc.name, cause);
  }
}
