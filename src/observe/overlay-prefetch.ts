/**
 * The overlay's Consul reads sent beside the hosts' lists instead of after them. A stack whose overlay networks are
 * stack's own reads the overlay's KV and each network's catalog service once every host has answered (observeOverlay);
 * sending both as soon as they are known to be needed takes those round trips off a no-op's path: at once with
 * `x-stack.overlay: consul`, and with `auto` when the first host's networks show stack's own overlay (auto keeps it).
 * Nothing is sent that the run would not read anyway, so an unused read never outlives the run. Reads only.
 */
import type { DesiredState } from '../stack/types.js';
import type { OverlayStore } from '../overlay/store.js';
import type { ObservedHost } from './types.js';
import { KV_ROOT } from '../overlay/state.js';
import { overlayNetworks } from '../overlay/mode.js';
import { catalogService } from '../overlay/names.js';
import { Labels } from '../labels.js';

export interface OverlayReadsAhead {
  /** The store observeOverlay reads: a prefetched answer goes to the first caller that asks the same thing. */
  store: OverlayStore;
  /** A host has answered: its networks may show that the reads will be needed. */
  hostObserved(host: ObservedHost): void;
}

/** Reads ahead for `desired` over `store` (without overlay networks, or with `x-stack.overlay: engine`, none). */
export function overlayReadsAhead(desired: DesiredState, store: OverlayStore): OverlayReadsAhead {
  const keys = overlayNetworks(desired).map((n) => n.key);
  if (!keys.length || desired.settings.overlay === 'engine') return { store, hostObserved: () => undefined };
  const sent = new Map<string, Promise<unknown>>();
  const send = <T>(id: string, read: () => Promise<T>): void => {
    const answer = read();
    answer.catch(() => undefined); // awaited by the reader that takes it; not unhandled meanwhile
    sent.set(id, answer);
  };
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    send(`kv:${KV_ROOT}`, () => store.list(KV_ROOT));
    for (const key of keys) {
      const name = catalogService(desired.name, key);
      send(`service:${name}`, () => store.service(name));
    }
  };
  const take = <T>(id: string, read: () => Promise<T>): Promise<T> => {
    const answer = sent.get(id) as Promise<T> | undefined;
    sent.delete(id);
    return answer ?? read();
  };
  if (desired.settings.overlay === 'consul') start();
  return {
    // `store` itself for everything else: only its two reads are taken from what was sent ahead.
    store: Object.assign(Object.create(store) as OverlayStore, {
      list: (prefix: string) => take(`kv:${prefix}`, () => store.list(prefix)),
      service: (name: string) => take(`service:${name}`, () => store.service(name)),
    }),
    hostObserved: (host) => {
      if (host.networks.some((n) => n.labels[Labels.overlayVni])) start();
    },
  };
}
