/** Which overlay realises a `driver: overlay` network (pure): x-stack.overlay, and for `auto` the daemons' cluster stores. */
import type { DesiredState, HostSpec, StackSettings } from '../stack/types.js';
import type { ClusterStoreView, OverlayChoice } from './types.js';
import { isIpv4, parseIpv4, type Ipv4 } from './values.js';
import { endpointIPv4 } from '../stack/endpoint.js';

/**
 * Per host: does its daemon have a cluster store (and advertise address), from the observed Engine info, or where
 * /info was not asked, from the overlay its own networks already are (`engine`: yes; `own`: taken as no, so `auto`
 * keeps stack's own); undefined when neither was observed.
 */
export function clusterStores(observed: ClusterStoreView, hosts: string[]): Record<string, boolean | undefined> {
  return Object.fromEntries(
    hosts.map((h) => {
      const host = observed.hosts[h];
      const e = host?.engine;
      if (e) return [h, !!e.clusterStore && !!e.clusterAdvertise];
      return [h, host?.overlayShown ? host.overlayShown === 'engine' : undefined];
    }),
  );
}

/**
 * `consul` and `engine` are taken as written. `auto`: the engine's overlay when every target daemon has a
 * cluster store, else stack's own. When a daemon's info was not observed, auto stays with the engine, whose
 * readiness check then names that host.
 */
export function chooseOverlay(
  network: string,
  setting: StackSettings['overlay'],
  stores: Record<string, boolean | undefined>,
  hosts: string[],
): OverlayChoice {
  if (setting === 'consul') return { network, mode: 'consul', why: 'x-stack.overlay is consul' };
  if (setting === 'engine') return { network, mode: 'engine', why: 'x-stack.overlay is engine' };
  if (hosts.some((h) => stores[h] === undefined))
    return { network, mode: 'engine', why: 'cluster stores not observed' };
  const without = hosts.filter((h) => !stores[h]);
  if (hosts.length && !without.length)
    return { network, mode: 'engine', why: 'every daemon has a cluster store (x-stack.overlay auto)' };
  return { network, mode: 'consul', why: `no cluster store on ${without.join(', ')} (x-stack.overlay auto)` };
}

/** The host label that gives a host's underlay address (the VXLAN endpoint). */
export const UNDERLAY_LABEL = 'stack.underlay';

/**
 * A host's underlay address: label `stack.underlay` (which must be an IPv4 address: `validate` checks it where it
 * is written, and it is parsed again here), else the IP of its tcp:// endpoint; undefined when it has neither.
 */
export function underlayOf(h: HostSpec): { address?: Ipv4; error?: string } {
  const label = h.labels[UNDERLAY_LABEL];
  if (label !== undefined) {
    try {
      return { address: parseIpv4(label, `host ${h.name}: label ${UNDERLAY_LABEL}`, 'the underlay address') };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
  const address = endpointIPv4(h.endpoint);
  return isIpv4(address) ? { address } : {};
}

/**
 * The DNS servers for containers on the overlay: the pool's `dns`, else the hosts of the Consul servers' HTTP
 * addresses (IPv4 ones), in the order named.
 */
export function dnsServers(consul: string[], configured: string | undefined): string[] {
  if (configured) return [configured];
  return [...new Set(consul.map(ipv4Host).filter((h): h is string => h !== undefined))];
}

function ipv4Host(address: string): string | undefined {
  try {
    const host = new URL(address).hostname;
    return isIpv4(host) ? host : undefined;
  } catch {
    return undefined;
  }
}

/** The file's overlay networks the stack creates (not external ones), whichever overlay realises them. */
export function overlayNetworks(desired: DesiredState) {
  return Object.values(desired.networks).filter((n) => n.driver === 'overlay' && !n.external);
}
