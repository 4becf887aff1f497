/**
 * Observe: one snapshot per run. Every host in parallel; per host one list per resource kind (containers,
 * networks, volumes — all of them, split here into the stack identity's own and the foreign ones, so that
 * names taken and host ports published by anyone are seen) plus the image list, so the cost grows with hosts,
 * not with containers. Image tags are resolved to digests once per run through one daemon. With `refresh`,
 * every container is inspected for drift the hash cannot see.
 */
import type { DesiredState } from '../stack/types.js';
import type { EngineInfoBody, HostClient } from '../docker/client.js';
import type { CredentialSource } from '../docker/auth.js';
import { Labels, type StackOwner } from '../labels.js';
import { parseContainer, type ContainerListEntry } from './parse.js';
import { overlayShownBy, parseEngineInfo, parseNetwork, type NetworkListEntry } from './networks.js';
import { isOwn } from './owner.js';
import type { ContainerRuntime, ObservedHost, ObservedNetwork, ObservedState, ObservedVolume } from './types.js';
import { observeOverlay } from './overlay.js';
import { overlayReadsAhead } from './overlay-prefetch.js';
import { resolveDigests } from './digests.js';
import type { OverlayStore } from '../overlay/store.js';
import { collate } from '../collate.js';

export * from './types.js';
export { globalNetworks, isGlobal, type GlobalNetwork } from './networks.js';

export interface ObserveOptions {
  refresh?: boolean;
  /** Observing for a destroy: nothing will be created, so neither /info nor other networks are needed. */
  destroy?: boolean;
  /** Resolve image digests (default true; destroy and status skip it). */
  resolveDigests?: boolean;
  /**
   * Registry credentials for resolving digests (only for the operator's hosts: the pipeline decides). A credential
   * helper runs only for a registry that refuses the question without credentials (resolveDigest).
   */
  credentials?: CredentialSource;
  /** Consul, read for stack's own overlay when the stack has one. */
  overlayStore?: OverlayStore;
  /** The stack's identity (src/state): only objects labelled with it are the stack's own. Absent before its first apply. */
  owner?: StackOwner;
  /**
   * The stack has nothing on the hosts as far as its revisions say (none yet, or the newest is a destroy): a host's
   * GET /info, when the stack needs it, goes beside its lists instead of after them (ObserveNeeds.infoAhead).
   */
  coldStart?: boolean;
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
  /**
   * GET /info on a host whose own networks do not already show its overlay (overlayShownBy): the stack has overlay
   * networks that the daemons' overlay may realise (cluster store readiness, and the choice `auto` makes).
   */
  engineInfo: boolean;
  /**
   * That /info is asked beside the lists, not after them: at a cold start, when no host can show the overlay yet
   * (one round trip less before the first write; wasted, one read, on a host whose networks show it after all).
   */
  infoAhead: boolean;
}

export function observeNeeds(desired: DesiredState, destroy = false, coldStart = false): ObserveNeeds {
  if (destroy || desired.settings.overlay === 'consul') return { engineInfo: false, infoAhead: false };
  const engineInfo = Object.values(desired.networks).some((n) => !n.external && n.driver === 'overlay');
  return { engineInfo, infoAhead: engineInfo && coldStart };
}

/** GET /info (asked ahead, or now) when the host's own networks do not already say what it would; else what they show. */
async function engineFacts(
  desired: DesiredState,
  client: HostClient,
  needs: ObserveNeeds,
  own: { networks: ObservedNetwork[]; infoAhead?: Promise<EngineInfoBody> },
): Promise<Pick<ObservedHost, 'engine' | 'overlayShown'>> {
  if (!needs.engineInfo) return {};
  const shown = overlayShownBy(desired, own.networks);
  return shown ? { overlayShown: shown } : { engine: parseEngineInfo(await (own.infoAhead ?? client.info())) };
}

const byName = (a: { name: string }, b: { name: string }) => collate(a.name, b.name);

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

/**
 * Unfiltered: one list per kind whatever the number of objects, and the foreign ones are needed too. Each is asked
 * at the API version this host speaks: after its ping, or beside it at the version the last apply spoke to it at.
 */
function listsOf(client: HostClient) {
  return Promise.all([
    client.early(() => client.listContainers({})),
    client.early(() => client.listNetworks({})),
    client.early(() => client.listVolumes({})),
    client.early(() => client.listImages()),
  ]);
}

async function observeHost(
  desired: DesiredState,
  owner: StackOwner | undefined,
  client: HostClient,
  refresh: boolean,
  needs: ObserveNeeds,
): Promise<ObservedHost> {
  const host = client.name;
  const stack = desired.name;
  try {
    const infoAhead = needs.infoAhead ? client.early(() => client.info()) : undefined;
    infoAhead?.catch(() => undefined); // awaited in engineFacts when the networks do not show the overlay
    const [containers, networks, volumes, images] = await listsOf(client);
    const version = await client.negotiate();
    const c = split(
      containers.map((e) => parseContainer(host, e as ContainerListEntry)),
      stack,
      owner,
    );
    const n = split((networks as NetworkListEntry[]).map(parseNetwork), stack, owner);
    const v = split((volumes as VolumeListEntry[]).map(parseVolume), stack, owner);
    const engine = await engineFacts(desired, client, needs, { networks: n.own, infoAhead });
    const observed: ObservedHost = {
      name: host,
      containers: c.own,
      networks: n.own,
      foreignNetworks: n.foreign,
      foreignContainers: c.foreign,
      ...engine,
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
  const needs = observeNeeds(desired, options.destroy, options.coldStart);
  // The images' digests (a registry, through a daemon) and the overlay's state (Consul) beside the hosts' lists.
  const digests =
    options.resolveDigests === false
      ? undefined
      : resolveDigests(
          desired,
          hostNames.map((h) => clients.get(h)!),
          options.credentials,
        );
  digests?.catch(() => undefined); // awaited below; a credential helper's failure must not go unhandled meanwhile
  const ahead = options.overlayStore && overlayReadsAhead(desired, options.overlayStore);
  const hosts = await Promise.all(
    hostNames.map(async (h) => {
      const host = await observeHost(desired, options.owner, clients.get(h)!, !!options.refresh, needs);
      ahead?.hostObserved(host);
      return host;
    }),
  );
  const [overlay, found] = await Promise.all([
    observeOverlay(desired, clients, hosts, !!options.refresh, ahead?.store, options.owner),
    digests,
  ]);
  return {
    stack: desired.name,
    ...(options.owner ? { owner: options.owner } : {}),
    hosts: Object.fromEntries(hosts.map((h) => [h.name, h])),
    digests: found?.digests ?? {},
    digestErrors: found?.digestErrors ?? {},
    refreshed: !!options.refresh,
    ...(overlay ? { overlay } : {}),
  };
}
