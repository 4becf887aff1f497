/** A new replica (or one moving here from a host that is no longer eligible). Pure. */
import { hookNote, postStartParams } from '../lifecycle.js';
import type { Reconciler } from './context.js';
import { createAndConnect, prerequisites, type Slot } from './slot.js';
import { removeMoved } from './slot-duplicates.js';

export function createReplica(r: Reconciler, sl: Slot): void {
  const { host, final, resource, svc } = sl;
  const created = createAndConnect(r, sl, final, prerequisites(r, sl)).last;
  const started = r.b.add(
    'container.start',
    host,
    `start ${final}${hookNote('post_start', svc.s)}`,
    resource,
    'new replica',
    [created, ...svc.gates()],
    { name: final, ...postStartParams(svc.s) },
  );
  svc.records.push({ host, name: final, started, final: started });
  r.b.change({
    host,
    type: 'container',
    resource,
    service: svc.name,
    name: final,
    action: 'create',
    cause: sl.elsewhere ? `moved from ${sl.elsewhere.host}` : 'new replica',
  });
  if (sl.elsewhere) removeMoved(r, sl, started);
}
