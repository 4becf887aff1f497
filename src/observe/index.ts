/**
 * Observe: one snapshot per run. Every host in parallel; per host one label-filtered list per resource
 * kind (containers, networks, volumes) plus the image list, so the cost grows with hosts, not with
 * containers. Image tags are resolved to digests once per run through one daemon. With `refresh`,
 * every container is inspected for drift the hash cannot see.
 */
import type { DesiredState } from '../stack/types.js';
import type { HostClient } from '../docker/client.js';
import type { RegistryCredentials } from '../docker/auth.js';
import { Labels, stackFilter } from '../labels.js';
import { normaliseImageRef, registryOf, splitImageRef } from '../plan/config.js';
import { parseContainer, type ContainerListEntry } from './parse.js';
import { isStackNetwork, parseEngineInfo, parseNetwork, type NetworkListEntry } from './networks.js';
import type { ContainerRuntime, ObservedHost, ObservedState } from './types.js';
import { observeOverlay } from '../overlay/observe.js';
import type { OverlayStore } from '../overlay/store.js';

export * from './types.js';
export { globalNetworks, isGlobal, type GlobalNetwork } from './networks.js';

export interface ObserveOptions {
  refresh?: boolean;
  /** Observing for a destroy: nothing will be created, so neither /info nor other networks are needed. */
  destroy?: boolean;
  /** Resolve image digests (default true; destroy and status skip it). */
  resolveDigests?: boolean;
  /** Registry credentials for resolving digests (only for the operator's hosts: the pipeline decides). */
  credentials?: RegistryCredentials;
  /** Consul, read for stack's own overlay when the stack has one. */
  overlayStore?: OverlayStore;
}

type Obj = Record<string, any>;

export function runtimeFromInspect(i: Obj): ContainerRuntime {
  const hc = i.HostConfig ?? {};
  return {
    running: !!i.State?.Running,
    exitCode: i.State?.ExitCode ?? 0,
    restartCount: i.RestartCount ?? 0,
    restartPolicy: { name: hc.RestartPolicy?.Name || 'no', maximumRetryCount: hc.RestartPolicy?.MaximumRetryCount ?? 0 },
    networks: Object.keys(i.NetworkSettings?.Networks ?? {}).sort(),
    resources: { memory: hc.Memory ?? 0, nanoCpus: hc.NanoCpus ?? 0, pidsLimit: hc.PidsLimit ?? 0, memoryReservation: hc.MemoryReservation ?? 0 },
  };
}

/** What a run must gather beyond the label-filtered lists; decided from the desired state alone. */
export interface ObserveNeeds {
  /** GET /info once per host: the stack has overlay networks to create (cluster store readiness). */
  engineInfo: boolean;
  /**
   * Every network, not only the stack's: external networks must exist, fixed subnets must not overlap, and a
   * subnet stack's own overlay picks from its pool must not overlap a network on the hosts.
   */
  allNetworks: boolean;
}

export function observeNeeds(desired: DesiredState, destroy = false): ObserveNeeds {
  if (destroy) return { engineInfo: false, allNetworks: false };
  const networks = Object.values(desired.networks);
  return {
    engineInfo: networks.some((n) => !n.external && n.driver === 'overlay'),
    allNetworks: networks.some((n) => n.external || n.driver === 'overlay' || (n.ipam?.config ?? []).some((c) => c.subnet)),
  };
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

async function observeHost(stack: string, client: HostClient, refresh: boolean, needs: ObserveNeeds): Promise<ObservedHost> {
  const filters = stackFilter(stack);
  const host = client.name;
  try {
    const [containers, networks, volumes, images, info] = await Promise.all([
      client.listContainers(filters),
      client.listNetworks(needs.allNetworks ? {} : filters),
      client.listVolumes(filters),
      client.listImages(),
      needs.engineInfo ? client.info() : undefined,
    ]);
    const listed = networks as NetworkListEntry[];
    const observed: ObservedHost = {
      name: host,
      containers: containers.map((c) => parseContainer(host, c as ContainerListEntry)).sort((a, b) => a.name.localeCompare(b.name)),
      networks: listed.filter((n) => isStackNetwork(n, stack)).map(parseNetwork).sort(byName),
      ...(needs.allNetworks ? { foreignNetworks: listed.filter((n) => !isStackNetwork(n, stack)).map(parseNetwork).sort(byName) } : {}),
      ...(info ? { engine: parseEngineInfo(info) } : {}),
      volumes: volumes
        .map((v) => ({ name: v.Name, driver: v.Driver, key: v.Labels?.[Labels.volume], contentHash: v.Labels?.[Labels.contentHash], labels: v.Labels ?? {} }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      images: images.map((i) => ({ id: i.Id, repoTags: i.RepoTags ?? [], repoDigests: i.RepoDigests ?? [] })),
    };
    if (refresh) await Promise.all(observed.containers.map(async (c) => void (c.runtime = runtimeFromInspect(await client.inspectContainer(c.id)))));
    return observed;
  } catch (err) {
    return { name: host, error: err instanceof Error ? err.message : String(err), containers: [], networks: [], volumes: [], images: [] };
  }
}

export async function observe(desired: DesiredState, clients: ReadonlyMap<string, HostClient>, options: ObserveOptions = {}): Promise<ObservedState> {
  const hostNames = desired.hosts.map((h) => h.name);
  const needs = observeNeeds(desired, options.destroy);
  const hosts = await Promise.all(hostNames.map((h) => observeHost(desired.name, clients.get(h)!, !!options.refresh, needs)));
  const state: ObservedState = { stack: desired.name, hosts: Object.fromEntries(hosts.map((h) => [h.name, h])), digests: {}, digestErrors: {}, refreshed: !!options.refresh };
  const overlay = await observeOverlay(desired, clients, hosts, !!options.refresh, options.overlayStore);
  if (overlay) state.overlay = overlay;
  if (options.resolveDigests === false) return state;
  // One daemon answers for all; should it fail for an image (its registry call can fail on that daemon
  // alone, e.g. dockerd 20.10's stuck overlay thread), the next reachable host is asked.
  const resolvers = hosts.filter((h) => !h.error).map((h) => clients.get(h.name)!);
  if (!resolvers.length) return state;
  const refs = [...new Set(Object.values(desired.services).filter((s) => s.pullPolicy === 'missing' || s.pullPolicy === 'always').map((s) => normaliseImageRef(s.image)))].sort();
  await Promise.all(
    refs.map(async (ref) => {
      const pinned = splitImageRef(ref).digest;
      if (pinned) return void (state.digests[ref] = pinned);
      for (const client of resolvers) {
        try {
          state.digests[ref] = await client.distribution(ref, options.credentials?.(registryOf(ref)));
          delete state.digestErrors[ref];
          return;
        } catch (err) {
          state.digestErrors[ref] = err instanceof Error ? err.message : String(err);
          if (/no such image|not found|manifest unknown|unauthorized|denied/i.test(state.digestErrors[ref])) return;
        }
      }
    }),
  );
  return state;
}
