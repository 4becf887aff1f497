/**
 * Observe for stack's own overlay, once per run before planning (after the hosts, whose Engine info
 * says which overlay `auto` picks): the overlay's KV state (validated: a bad value is recorded as `invalid`, naming
 * its key) and catalog registrations in Consul, and with `refresh` the VXLAN devices each host really has (a
 * read-only helper run, with the operator's helper image). An unreachable Consul is recorded, not thrown:
 * the planner turns it into an error, so nothing is written.
 */
import type { DesiredState } from '../stack/types.js';
import type { HostClient } from '../docker/client.js';
import type { ObservedHost } from './types.js';
import { Labels, type StackOwner } from '../labels.js';
import type { OverlayStore } from '../overlay/store.js';
import { KV_ROOT, parseKv } from '../overlay/state.js';
import { chooseOverlay, clusterStores, overlayNetworks } from '../overlay/mode.js';
import { catalogService } from '../overlay/names.js';
import { parseDeviceList, runHelper } from '../overlay/helper.js';
import { OverlayValueError } from '../overlay/values.js';
import type { OverlayObserved } from '../overlay/types.js';

export async function observeOverlay(
  desired: DesiredState,
  clients: ReadonlyMap<string, HostClient>,
  hosts: ObservedHost[],
  refresh: boolean,
  store: OverlayStore | undefined,
  owner?: StackOwner,
): Promise<OverlayObserved | undefined> {
  const nets = overlayNetworks(desired);
  const labelled = hosts.some((h) => h.networks.some((n) => n.labels[Labels.overlayVni]));
  if (!nets.length && !labelled) return undefined;
  const up = hosts.filter((h) => !h.error);
  const out: OverlayObserved = { registered: {} };
  const upNames = up.map((h) => h.name);
  const stores = clusterStores({ hosts: Object.fromEntries(hosts.map((h) => [h.name, h])) }, upNames);
  const consulKeys = nets
    .filter((n) => chooseOverlay(n.key, desired.settings.overlay, stores, upNames).mode === 'consul')
    .map((n) => n.key);
  if (!consulKeys.length && !labelled) return out;
  if (!store) {
    out.error = "stack's own overlay needs Consul, and no Consul address is set";
    return out;
  }
  Object.assign(out, consulOf(store));
  try {
    out.kv = parseKv(await store.list(KV_ROOT), { stack: desired.name });
    const keys = new Set([
      ...consulKeys,
      ...hosts.flatMap((h) => h.networks.filter((n) => n.labels[Labels.overlayVni] && n.key).map((n) => n.key!)),
    ]);
    for (const id of out.kv.networks.keys())
      if (id.startsWith(`${desired.name}/`)) keys.add(id.slice(desired.name.length + 1));
    const names = [...keys].sort().map((key) => catalogService(desired.name, key));
    const registered = await Promise.all(names.map((name) => store.service(name)));
    names.forEach((name, i) => (out.registered[name] = registered[i].map((e) => e.serviceId).sort()));
  } catch (err) {
    if (err instanceof OverlayValueError) out.invalid = err.message;
    else out.error = err instanceof Error ? err.message : String(err);
    delete out.kv;
    return out;
  }
  const image = desired.settings.overlayHelperImage;
  if (refresh && image) {
    out.devices = {};
    await Promise.all(
      up.map(async (h) => {
        try {
          out.devices![h.name] = parseDeviceList(
            await runHelper(clients.get(h.name)!, image, { kind: 'list' }, 'list devices', desired.name, owner),
            h.name,
          );
        } catch (err) {
          out.devices![h.name] = err instanceof Error ? err.message : String(err);
        }
      }),
    );
  }
  return out;
}

/** The Consul the overlay reads: its first server, and the others when several were named. */
function consulOf(store: OverlayStore): Pick<OverlayObserved, 'consul' | 'consulFallbacks'> {
  return store.servers.length > 1
    ? { consul: store.address, consulFallbacks: store.servers.slice(1) }
    : { consul: store.address };
}
