/**
 * A replica on a replaced network: its container was already removed (before the network), so it is created
 * again under its own name, without a temporary one. Pure.
 */
import { hookNote, postStartParams } from '../lifecycle.js';
import type { ObservedContainer } from '../../observe/types.js';
import { diffServiceConfig } from '../diff.js';
import type { Reconciler } from './context.js';
import { carriedVolumes, createAndConnect, prerequisites, type Slot } from './slot.js';
import { removeDuplicates } from './slot-duplicates.js';

export function recreateWithNetwork(r: Reconciler, sl: Slot, current: ObservedContainer): void {
  const { host, final, resource, svc } = sl;
  const gone = r.preRemoved.get(current.id)!;
  const cause = `recreated with network ${gone.networks.join(', ')}`;
  const deps = [...prerequisites(r, sl), gone.op];
  const created = createAndConnect(r, sl, final, deps, { carried: carriedVolumes(current, svc.s), cause }).last;
  const started = r.b.add(
    'container.start',
    host,
    `start ${final}${hookNote('post_start', svc.s)}`,
    resource,
    cause,
    [created, ...svc.gates()],
    { name: final, ...postStartParams(svc.s) },
  );
  svc.records.push({ host, name: final, started, final: started });
  const fields =
    current.configHash === svc.sc.hash
      ? []
      : current.config
        ? diffServiceConfig(current.config, svc.sc)
        : [{ path: 'config', before: current.configHash?.slice(0, 12), after: svc.sc.hash.slice(0, 12) }];
  r.b.change({
    host,
    type: 'container',
    resource,
    service: svc.name,
    name: final,
    action: 'replace',
    cause: `network ${gone.networks.join(', ')} replaced`,
    fields,
  });
  removeDuplicates(r, sl, current, false);
}
