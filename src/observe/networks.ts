/**
 * Networks as observe sees them. A network in the daemons' cluster store (scope `global`) is listed by every
 * host that shares the store; it is one network, so the planner looks at it through `globalNetworks`, never
 * host by host. Pure.
 */
import { ContainerLabels, Labels } from '../labels.js';
import { parseConfigLabel } from './parse.js';
import type { DesiredState } from '../stack/types.js';
import { overlayNetworks } from '../overlay/mode.js';
import type { ObservedNetwork, ObservedState, EngineInfo, OverlayShown } from './types.js';

/** One entry of GET /networks (as dockerode returns it). */
export interface NetworkListEntry {
  Id: string;
  Name: string;
  Driver?: string;
  Scope?: string;
  Labels?: Record<string, string> | null;
  IPAM?: { Config?: { Subnet?: string }[] | null } | null;
}

export function parseNetwork(n: NetworkListEntry): ObservedNetwork {
  const labels = n.Labels ?? {};
  return {
    id: n.Id,
    name: n.Name,
    driver: n.Driver ?? '',
    scope: n.Scope ?? 'local',
    key: labels[Labels.network],
    subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => !!s),
    configHash: labels[Labels.configHash],
    config: parseConfigLabel(labels[ContainerLabels.config]),
    labels,
  };
}

export function isGlobal(n: Pick<ObservedNetwork, 'scope'>): boolean {
  return n.scope === 'global' || n.scope === 'swarm';
}

/** A global-scope network once, with the hosts that list it (in host order). */
export interface GlobalNetwork {
  network: ObservedNetwork;
  hosts: string[];
}

/** The stack's global-scope networks, one entry per name, whichever hosts list them. */
export function globalNetworks(observed: ObservedState): Map<string, GlobalNetwork> {
  const out = new Map<string, GlobalNetwork>();
  for (const host of Object.values(observed.hosts))
    for (const n of host.networks) {
      if (!isGlobal(n)) continue;
      const seen = out.get(n.name);
      if (seen) seen.hosts.push(host.name);
      else out.set(n.name, { network: n, hosts: [host.name] });
    }
  return out;
}

/** GET /info → what overlay networks need. */
export function parseEngineInfo(info: { ClusterStore?: string | null; ClusterAdvertise?: string | null }): EngineInfo {
  return { clusterStore: info.ClusterStore ?? '', clusterAdvertise: info.ClusterAdvertise ?? '' };
}

/**
 * Which overlay the stack's own networks on a host already are, when that settles what GET /info would (pure):
 * `engine` when each of the file's overlay networks is there as the daemons' overlay (driver `overlay`: listed from
 * the cluster store, which therefore works); `own` when each is there as stack's own (a bridge with a VNI label) and
 * the setting is `auto`, which keeps the overlay a network has rather than replacing it and its containers. Undefined
 * when a network is missing, the kinds differ, or `engine` is asked for over own networks: GET /info then decides.
 */
export function overlayShownBy(desired: DesiredState, own: ObservedNetwork[]): OverlayShown | undefined {
  const keys = overlayNetworks(desired).map((n) => n.key);
  if (!keys.length) return undefined;
  const kinds = new Set(
    keys.map((key) => {
      const n = own.find((o) => o.key === key);
      if (!n) return undefined;
      if (n.driver === 'overlay') return 'engine';
      return n.labels[Labels.overlayVni] ? 'own' : undefined;
    }),
  );
  const [kind] = kinds;
  if (kinds.size !== 1 || !kind) return undefined;
  if (kind === 'own' && desired.settings.overlay !== 'auto') return undefined;
  return kind;
}
