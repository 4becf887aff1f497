/**
 * Observe: one snapshot per run. Every host in parallel; per host one list per resource kind (containers,
 * networks, volumes — all of them, split here into the stack identity's own and the foreign ones, so that
 * names taken and host ports published by anyone are seen) plus the image list, so the cost grows with hosts,
 * not with containers. Image tags are resolved to digests once per run through one daemon. With `refresh`,
 * every container is inspected for drift the hash cannot see.
 */
import type { DesiredState } from '../stack/types.js';
import type { HostClient } from '../docker/client.js';
import type { RegistryCredentials } from '../docker/auth.js';
import { Labels, type StackOwner } from '../labels.js';
import { normaliseImageRef, registryOf, splitImageRef } from '../docker/image-ref.js';
import { parseContainer, type ContainerListEntry } from './parse.js';
import { parseEngineInfo, parseNetwork, type NetworkListEntry } from './networks.js';
import { isOwn } from './owner.js';
import type { ContainerRuntime, ObservedHost, ObservedState, ObservedVolume } from './types.js';
import { observeOverlay } from './overlay.js';
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
  /** The stack's identity (src/state): only objects labelled with it are the stack's own. Absent before its first apply. */
  owner?: StackOwner;
}

/** The parts of a container's inspect that --refresh reads. */
export interface InspectEntry {
  State?: { Running?: boolean; ExitCode?: number };
  RestartCount?: number;
  HostConfig?: {
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
    Memory?: number;
    NanoCpus?: number;
    PidsLimit?: number | null;
    MemoryReservation?: number;
  };
  NetworkSettings?: { Networks?: Record<string, unknown> };
}

/** An image as the Engine lists it. */
interface ImageListEntry {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
}

/** A volume as the Engine lists it. */
interface VolumeListEntry {
  Name: string;
  Driver: string;
  Labels?: Record<string, string> | null;
}

export function runtimeFromInspect(i: InspectEntry): ContainerRuntime {
  const hc = i.HostConfig ?? {};
  return {
    running: !!i.State?.Running,
    exitCode: i.State?.ExitCode ?? 0,
    restartCount: i.RestartCount ?? 0,
    restartPolicy: {
      name: hc.RestartPolicy?.Name || 'no',
      maximumRetryCount: hc.RestartPolicy?.MaximumRetryCount ?? 0,
    },
    networks: Object.keys(i.NetworkSettings?.Networks ?? {}).sort(),
    resources: {
      memory: hc.Memory ?? 0,
      nanoCpus: hc.NanoCpus ?? 0,
      pidsLimit: hc.PidsLimit ?? 0,
      memoryReservation: hc.MemoryReservation ?? 0,
    },
  };
}

/** What a run must gather beyond the lists; decided from the desired state alone. */
export interface ObserveNeeds {
  /** GET /info once per host: the stack has overlay networks to create (cluster store readiness). */
  engineInfo: boolean;
}

export function observeNeeds(desired: DesiredState, destroy = false): ObserveNeeds {
  if (destroy) return { engineInfo: false };
  return { engineInfo: Object.values(desired.networks).some((n) => !n.external && n.driver === 'overlay') };
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/** Splits a list into the stack identity's own entries and the rest, each sorted by name. */
function split<T extends { name: string; labels: Record<string, string> }>(
  items: T[],
  stack: string,
  owner: StackOwner | undefined,
): { own: T[]; foreign: T[] } {
  const sorted = [...items].sort(byName);
  return {
    own: sorted.filter((x) => isOwn(x.labels, stack, owner)),
    foreign: sorted.filter((x) => !isOwn(x.labels, stack, owner)),
  };
}

function parseVolume(v: VolumeListEntry): ObservedVolume {
  return {
    name: v.Name,
    driver: v.Driver,
    key: v.Labels?.[Labels.volume],
    contentHash: v.Labels?.[Labels.contentHash],
    labels: v.Labels ?? {},
  };
}

async function observeHost(
  stack: string,
  owner: StackOwner | undefined,
  client: HostClient,
  refresh: boolean,
  needs: ObserveNeeds,
): Promise<ObservedHost> {
  const host = client.name;
  try {
    // First the API version: every list after it is asked at the version this host speaks.
    const version = await client.negotiate();
    // Unfiltered: one list per kind whatever the number of objects, and the foreign ones are needed too.
    const [containers, networks, volumes, images, info] = await Promise.all([
      client.listContainers({}),
      client.listNetworks({}),
      client.listVolumes({}),
      client.listImages(),
      needs.engineInfo ? client.info() : undefined,
    ]);
    const c = split(
      containers.map((e) => parseContainer(host, e as ContainerListEntry)),
      stack,
      owner,
    );
    const n = split((networks as NetworkListEntry[]).map(parseNetwork), stack, owner);
    const v = split((volumes as VolumeListEntry[]).map(parseVolume), stack, owner);
    const observed: ObservedHost = {
      name: host,
      containers: c.own,
      networks: n.own,
      foreignNetworks: n.foreign,
      foreignContainers: c.foreign,
      ...(info ? { engine: parseEngineInfo(info) } : {}),
      version,
      volumes: v.own,
      foreignVolumes: v.foreign,
      images: (images as ImageListEntry[]).map((i) => ({
        id: i.Id,
        repoTags: i.RepoTags ?? [],
        repoDigests: i.RepoDigests ?? [],
      })),
    };
    if (refresh)
      await Promise.all(
        observed.containers.map(
          async (c) => void (c.runtime = runtimeFromInspect(await client.inspectContainer(c.id))),
        ),
      );
    return observed;
  } catch (err) {
    return {
      name: host,
      error: err instanceof Error ? err.message : String(err),
      containers: [],
      networks: [],
      volumes: [],
      images: [],
    };
  }
}

export async function observe(
  desired: DesiredState,
  clients: ReadonlyMap<string, HostClient>,
  options: ObserveOptions = {},
): Promise<ObservedState> {
  const hostNames = desired.hosts.map((h) => h.name);
  const needs = observeNeeds(desired, options.destroy);
  const hosts = await Promise.all(
    hostNames.map((h) => observeHost(desired.name, options.owner, clients.get(h)!, !!options.refresh, needs)),
  );
  const state: ObservedState = {
    stack: desired.name,
    ...(options.owner ? { owner: options.owner } : {}),
    hosts: Object.fromEntries(hosts.map((h) => [h.name, h])),
    digests: {},
    digestErrors: {},
    refreshed: !!options.refresh,
  };
  const overlay = await observeOverlay(desired, clients, hosts, !!options.refresh, options.overlayStore, options.owner);
  if (overlay) state.overlay = overlay;
  if (options.resolveDigests === false) return state;
  // One daemon answers for all; should it fail for an image (its registry call can fail on that daemon
  // alone, e.g. dockerd 20.10's stuck overlay thread), the next reachable host is asked.
  const resolvers = hosts.filter((h) => !h.error).map((h) => clients.get(h.name)!);
  if (!resolvers.length) return state;
  const refs = [
    ...new Set(
      Object.values(desired.services)
        .filter((s) => s.pullPolicy === 'missing' || s.pullPolicy === 'always')
        .map((s) => normaliseImageRef(s.image)),
    ),
  ].sort();
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
