/**
 * The overlay's Consul reads sent beside the hosts' lists instead of after them: a stack with overlay networks that
 * stack's own overlay may realise (`x-stack.overlay` consul or auto) reads the overlay's KV and each network's catalog
 * service once the hosts have answered; asking both when observing starts takes those round trips off a no-op's
 * path. For `auto` on daemons with a cluster store the answers go unused (one read of the overlay's KV, which is
 * then stack's own networks only). Reads only, after the look that decided to observe; nothing is written.
 */
import type { DesiredState } from '../stack/types.js';
import type { OverlayStore } from '../overlay/store.js';
import { KV_ROOT } from '../overlay/state.js';
import { overlayNetworks } from '../overlay/mode.js';
import { catalogService } from '../overlay/names.js';

/**
 * `store` with the reads a run of `desired` will most likely make already sent: each prefetched answer is handed to
 * the first caller that asks the same thing (a later one asks Consul again); every other call goes to `store`.
 * Without overlay networks, or with `x-stack.overlay: engine`, `store` itself.
 */
export function prefetchOverlayReads(desired: DesiredState, store: OverlayStore): OverlayStore {
  const keys = overlayNetworks(desired).map((n) => n.key);
  if (!keys.length || desired.settings.overlay === 'engine') return store;
  const sent = new Map<string, Promise<unknown>>();
  const send = <T>(id: string, read: () => Promise<T>): void => {
    const answer = read();
    answer.catch(() => undefined); // an answer nobody takes must not be an unhandled rejection
    sent.set(id, answer);
  };
  const take = <T>(id: string, read: () => Promise<T>): Promise<T> => {
    const answer = sent.get(id) as Promise<T> | undefined;
    sent.delete(id);
    return answer ?? read();
  };
  send(`kv:${KV_ROOT}`, () => store.list(KV_ROOT));
  for (const key of keys) {
    const name = catalogService(desired.name, key);
    send(`service:${name}`, () => store.service(name));
  }
  return {
    address: store.address,
    servers: store.servers,
    list: (prefix) => take(`kv:${prefix}`, () => store.list(prefix)),
    service: (name) => take(`service:${name}`, () => store.service(name)),
    txn: (ops) => store.txn(ops),
    register: (r) => store.register(r),
    deregister: (node, id) => store.deregister(node, id),
    services: () => store.services(),
  };
}
