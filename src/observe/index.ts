/**
 * Observe: one snapshot per run. Every host in parallel; per host one list per resource kind (containers,
 * networks, volumes — all of them, split here into the stack identity's own and the foreign ones, so that
 * names taken and host ports published by anyone are seen) plus the image list, so the cost grows with hosts,
 * not with containers. Image tags are resolved to digests once per run through one daemon. With `refresh`,
 * every container is inspected for drift the hash cannot see.
 */
import type { DesiredState } from '../stack/types.js';
import type { HostClient } from '../docker/client.js';
import type { AuthConfig, CredentialSource } from '../docker/auth.js';
import { Labels, type StackOwner } from '../labels.js';
import { normaliseImageRef, registryOf, splitImageRef } from '../docker/image-ref.js';
import { parseContainer, type ContainerListEntry } from './parse.js';
import { overlayShownBy, parseEngineInfo, parseNetwork, type NetworkListEntry } from './networks.js';
import { isOwn } from './owner.js';
import type { ContainerRuntime, ObservedHost, ObservedNetwork, ObservedState, ObservedVolume } from './types.js';
import { observeOverlay } from './overlay.js';
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
}

export function observeNeeds(desired: DesiredState, destroy = false): ObserveNeeds {
  if (destroy || desired.settings.overlay === 'consul') return { engineInfo: false };
  return { engineInfo: Object.values(desired.networks).some((n) => !n.external && n.driver === 'overlay') };
}

/** GET /info when the host's own networks do not already say what it would; else what they show. */
async function engineFacts(
  desired: DesiredState,
  client: HostClient,
  needs: ObserveNeeds,
  own: ObservedNetwork[],
): Promise<Pick<ObservedHost, 'engine' | 'overlayShown'>> {
  if (!needs.engineInfo) return {};
  const shown = overlayShownBy(desired, own);
  return shown ? { overlayShown: shown } : { engine: parseEngineInfo(await client.info()) };
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
    // First the API version: every list after it is asked at the version this host speaks.
    const version = await client.negotiate();
    // Unfiltered: one list per kind whatever the number of objects, and the foreign ones are needed too.
    const [containers, networks, volumes, images] = await Promise.all([
      client.listContainers({}),
      client.listNetworks({}),
      client.listVolumes({}),
      client.listImages(),
    ]);
    const c = split(
      containers.map((e) => parseContainer(host, e as ContainerListEntry)),
      stack,
      owner,
    );
    const n = split((networks as NetworkListEntry[]).map(parseNetwork), stack, owner);
    const v = split((volumes as VolumeListEntry[]).map(parseVolume), stack, owner);
    const engine = await engineFacts(desired, client, needs, n.own);
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
  const needs = observeNeeds(desired, options.destroy);
  // The images' digests (a registry, through a daemon) beside the hosts' lists and the overlay's state (Consul).
  const digests =
    options.resolveDigests === false
      ? undefined
      : resolveDigests(
          desired,
          hostNames.map((h) => clients.get(h)!),
          options.credentials,
        );
  digests?.catch(() => undefined); // awaited below; a credential helper's failure must not go unhandled meanwhile
  const hosts = await Promise.all(
    hostNames.map((h) => observeHost(desired, options.owner, clients.get(h)!, !!options.refresh, needs)),
  );
  const [overlay, found] = await Promise.all([
    observeOverlay(desired, clients, hosts, !!options.refresh, options.overlayStore, options.owner),
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

type Digests = Pick<ObservedState, 'digests' | 'digestErrors'>;

/** Whether a host's API version is known (its ping answered): only then can a digest be asked of it. */
const reachable = (client: HostClient): Promise<boolean> =>
  client.negotiate().then(
    () => true,
    () => false,
  );

/**
 * The registry digest of every image a service pulls (`missing`, `always`); asked of the first host in order that
 * answers its ping, as soon as it has (not after every host's), the next ones only if it fails.
 */
async function resolveDigests(
  desired: DesiredState,
  clients: HostClient[],
  credentials: CredentialSource | undefined,
): Promise<Digests> {
  const found: Digests = { digests: {}, digestErrors: {} };
  const refs = [
    ...new Set(
      Object.values(desired.services)
        .filter((s) => s.pullPolicy === 'missing' || s.pullPolicy === 'always')
        .map((s) => normaliseImageRef(s.image)),
    ),
  ].sort();
  if (!refs.length) return found;
  await Promise.all(refs.map((ref) => resolveDigest(found, ref, clients, credentials)));
  return found;
}

/** What a registry answers when it wants credentials (through the daemon's distribution call). */
const WANTS_CREDENTIALS = /unauthorized|denied|authentication required|no basic auth credentials/i;

/**
 * One image's registry digest into `state` (or its error into digestErrors). Credentials that cost nothing to read
 * (the inventory's, config.json's auths) go with the first question; a credential helper is run only when the
 * registry refuses the question without credentials, so a run whose registries answer anyone runs no helper. A
 * helper's failure throws (CredentialHelperError): the run stops before any write.
 */
async function resolveDigest(
  state: Digests,
  ref: string,
  resolvers: HostClient[],
  credentials: CredentialSource | undefined,
): Promise<void> {
  const pinned = splitImageRef(ref).digest;
  if (pinned) return void (state.digests[ref] = pinned);
  const registry = registryOf(ref);
  const lazy = credentials?.needsHelper(registry) ?? false;
  const failed = await askDigest(state, ref, resolvers, lazy ? undefined : await credentials?.get(registry));
  if (lazy && failed && WANTS_CREDENTIALS.test(failed))
    await askDigest(state, ref, resolvers, await credentials!.get(registry));
}

/** Asks each reachable daemon in turn until one answers; the last error, or undefined when answered (or none could be asked). */
async function askDigest(
  state: Digests,
  ref: string,
  resolvers: HostClient[],
  auth: AuthConfig | undefined,
): Promise<string | undefined> {
  // One daemon answers for all; should it fail for an image (its registry call can fail on that daemon
  // alone, e.g. dockerd 20.10's stuck overlay thread), the next reachable host is asked.
  for (const client of resolvers) {
    if (!(await reachable(client))) continue;
    try {
      state.digests[ref] = await client.distribution(ref, auth);
      delete state.digestErrors[ref];
      return undefined;
    } catch (err) {
      state.digestErrors[ref] = err instanceof Error ? err.message : String(err);
      if (/no such image|not found|manifest unknown/i.test(state.digestErrors[ref])) break;
      if (WANTS_CREDENTIALS.test(state.digestErrors[ref])) break;
    }
  }
  return state.digestErrors[ref];
}
