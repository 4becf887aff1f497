/** Which overlay realises a `driver: overlay` network (pure): x-stack.overlay, and for `auto` the daemons' cluster stores. */
import type { HostSpec, StackSettings } from '../stack/types.js';
import type { ObservedState } from '../observe/types.js';
import type { OverlayChoice } from './types.js';
import { endpointIPv4 } from '../stack/endpoint.js';

/**
 * Per host: does its daemon have a cluster store (and advertise address), from the observed Engine info;
 * undefined when the info was not observed.
 */
export function clusterStores(observed: ObservedState, hosts: string[]): Record<string, boolean | undefined> {
  return Object.fromEntries(hosts.map((h) => {
    const e = observed.hosts[h]?.engine;
    return [h, e ? !!e.clusterStore && !!e.clusterAdvertise : undefined];
  }));
}

/**
 * `consul` and `engine` are taken as written. `auto`: the engine's overlay when every target daemon has a
 * cluster store, else stack's own. When a daemon's info was not observed, auto stays with the engine, whose
 * readiness check then names that host.
 */
export function chooseOverlay(network: string, setting: StackSettings['overlay'], stores: Record<string, boolean | undefined>, hosts: string[]): OverlayChoice {
  if (setting === 'consul') return { network, mode: 'consul', why: 'x-stack.overlay is consul' };
  if (setting === 'engine') return { network, mode: 'engine', why: 'x-stack.overlay is engine' };
  if (hosts.some((h) => stores[h] === undefined)) return { network, mode: 'engine', why: 'cluster stores not observed' };
  const without = hosts.filter((h) => !stores[h]);
  if (hosts.length && !without.length) return { network, mode: 'engine', why: 'every daemon has a cluster store (x-stack.overlay auto)' };
  return { network, mode: 'consul', why: `no cluster store on ${without.join(', ')} (x-stack.overlay auto)` };
}

/** A host's underlay address: label `stack.underlay`, else the IP of its tcp:// endpoint. */
export function underlayOf(h: HostSpec): string | undefined {
  if (h.labels['stack.underlay']) return h.labels['stack.underlay'];
  return endpointIPv4(h.endpoint);
}

/** The DNS server for containers on the overlay: the pool's `dns`, else the host of Consul's HTTP address. */
export function dnsServer(consul: string | undefined, configured: string | undefined): string | undefined {
  if (configured) return configured;
  if (!consul) return undefined;
  try {
    return new URL(consul).hostname;
  } catch {
    return undefined;
  }
}
