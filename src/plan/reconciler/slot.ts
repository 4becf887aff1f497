/**
 * One slot of a service (a replica on its host): what is observed for it, and the four ways it is planned —
 * recreated with a replaced network, new, replaced (by the service's rollout), or kept with its drift
 * corrected. The building blocks every way shares are here: prerequisites and create-and-connect. Pure.
 */
import type { ServiceSpec } from '../../stack/types.js';
import type { ObservedContainer } from '../../observe/types.js';
import { containerName, temporaryName, type ServiceConfig } from '../config.js';
import { containerCreateBody, endpointConfig, splitNetworks } from '../engine.js';
import { rankContainers } from '../placement.js';
import { keptName, type ReplaceRequest } from '../rollout/types.js';
import { servedByDockerDns, type HostState, type Reconciler, type ReplicaRecord } from './context.js';
import { ensureFiles, ensureNetwork, ensurePull, ensureVolume } from './shared-resources.js';
import { dependencyGates } from './depends-on.js';
import { volumesFromSources } from './volumes-from.js';
import { stopDeps } from '../drivers/stop.js';
import type { EndpointSettings } from 'dockerode';
import type { ContainerCreateBody } from '../types.js';
import { ALL_NETWORKS_AT_CREATE, hostApi } from '../api-features.js';
import { apiAtLeast } from '../../docker/api-version.js';

const ANONYMOUS_VOLUME = /^[0-9a-f]{64}$/;

/** One service being planned: its replicas so far (for dependents) and its replaces (for its rollout). */
export interface ServiceRun {
  name: string;
  s: ServiceSpec;
  sc: ServiceConfig;
  records: ReplicaRecord[];
  replaces: ReplaceRequest[];
  /** The ops its starts wait for (depends_on), computed on first use: a dependent with nothing to start waits for nothing. */
  gates: () => string[];
}

export interface Slot {
  svc: ServiceRun;
  slot: string;
  host: string;
  hs: HostState;
  /** The replica's container name, and the temporary name a replacement is created under. */
  final: string;
  tmp: string;
  resource: string;
  /** The slot's containers on any host (ranked), the one in place on this host, and one elsewhere. */
  candidates: ObservedContainer[];
  current: ObservedContainer | undefined;
  elsewhere: ObservedContainer | undefined;
}

export function newServiceRun(r: Reconciler, name: string): ServiceRun {
  const s = r.desired.services[name];
  const records: ReplicaRecord[] = [];
  r.replicas.set(name, records);
  let gateCache: string[] | undefined;
  return {
    name,
    s,
    sc: r.configs.get(name)!,
    records,
    replaces: [],
    gates: () => (gateCache ??= dependencyGates(r, s)),
  };
}

/** What is observed for the slot; the container in place is claimed. */
export function newSlot(
  r: Reconciler,
  svc: ServiceRun,
  slot: string,
  host: string,
  observedSlot: ObservedContainer[],
): Slot {
  const final = containerName(r.stack, svc.s, slot);
  const tmp = temporaryName(final);
  const candidates = rankContainers(observedSlot.filter((c) => c.name !== tmp));
  const current = candidates.find((c) => c.host === host && c.name === final);
  const elsewhere = candidates.find((c) => c.host !== host);
  if (current) r.claimed.add(current.id);
  const resource = `service:${svc.name}:${slot}`;
  return { svc, slot, host, hs: r.hosts.get(host)!, final, tmp, resource, candidates, current, elsewhere };
}

/** What a new container needs first on this host: its image, networks, volumes, files, and no stale names. */
export function prerequisites(r: Reconciler, sl: Slot): (string | undefined)[] {
  const { host, svc } = sl;
  const pull = ensurePull(r, host, svc.s);
  const deps: (string | undefined)[] = [pull];
  for (const key of Object.keys(svc.s.networks)) deps.push(ensureNetwork(r, host, key));
  for (const m of svc.s.mounts) if (m.type === 'volume' && m.source) deps.push(ensureVolume(r, host, m.source));
  for (const bundle of svc.sc.bundles) deps.push(ensureFiles(r, host, svc.s, bundle, pull));
  if (svc.s.volumesFrom) deps.push(...volumesFromSources(r, svc.s, host).deps);
  deps.push(...removeStale(r, sl));
  return deps;
}

/** A temporary container left by an interrupted replace, or a kept one left by an unfinished rollout, goes first. */
function removeStale(r: Reconciler, sl: Slot): string[] {
  const { b } = r;
  const { hs, host, tmp, resource } = sl;
  const out: string[] = [];
  const staleTmp = hs.obs.containers.find((c) => c.name === tmp);
  if (staleTmp) {
    r.claimed.add(staleTmp.id);
    const params = { name: tmp, force: true, volumes: false };
    const deps = stopDeps(r.network, { kind: 'container.remove', host, name: tmp, resource, deps: [] });
    const rm = b.add(
      'container.remove',
      host,
      `remove ${tmp}`,
      resource,
      'left over from an interrupted replace',
      deps,
      params,
    );
    hs.containerRemovals.push(rm);
    out.push(rm);
  }
  const staleKept = hs.obs.containers.find((c) => c.name === keptName(sl.final));
  if (staleKept && !r.claimed.has(staleKept.id)) {
    r.claimed.add(staleKept.id);
    const params = { name: staleKept.name, force: true, volumes: false };
    const cause = 'previous version kept by an unfinished rollout';
    const deps = stopDeps(r.network, { kind: 'container.remove', host, name: staleKept.name, resource, deps: [] });
    const rm = b.add('container.remove', host, `remove ${staleKept.name}`, resource, cause, deps, params);
    hs.containerRemovals.push(rm);
    b.change({
      host,
      type: 'container',
      resource,
      service: sl.svc.name,
      name: staleKept.name,
      action: 'delete',
      cause: 'kept by an unfinished rollout',
    });
    out.push(rm);
  }
  return out;
}

export interface CreateOptions {
  carried?: Record<string, string>;
  group?: string;
  cause?: string;
  extra?: { rollout: string };
  /** start-first: not in the service's names until it is ready (src/plan/rollout/replica.ts admits it). */
  withoutAliases?: boolean;
  /** Ops the create waits for, whatever their outcome (a rollout's previous batch: src/plan/rollout/plan.ts). */
  after?: string[];
}

/**
 * Creates container `cname` for the slot, then connects it to the networks the create could not take: on API 1.44
 * and newer the create takes them all (one call), on older hosts one (create, then one connect per other network).
 */
export function createAndConnect(
  r: Reconciler,
  sl: Slot,
  cname: string,
  deps: (string | undefined)[],
  o: CreateOptions = {},
): { first: string; last: string } {
  const { host, resource } = sl;
  const { group, extra } = o;
  const { body, rest } = createBody(r, sl, cname, o);
  const cause = o.cause ?? (group ? 'replacement (temporary name)' : 'new replica');
  const first = r.b.add(
    'container.create',
    host,
    `create ${cname}`,
    resource,
    cause,
    deps,
    { name: cname, body },
    group,
    o.after?.length ? { ...extra, after: o.after } : extra,
  );
  let last = first;
  for (const [net, endpointCfg] of rest)
    last = r.b.add(
      'network.connect',
      host,
      `connect ${cname} ${net}`,
      resource,
      'the API takes one network at create',
      [last],
      {
        network: net,
        container: cname,
        body: { Container: cname, EndpointConfig: endpointCfg },
      },
      group,
      extra,
    );
  return { first, last };
}

/**
 * Anonymous volumes of the container in place, carried over to its successor (destination → volume name). With
 * volumes_from, the container's mounts include its source's volumes, which the successor takes from the source again
 * (read-only when asked): only the service's own anonymous volumes are carried then.
 */
export function carriedVolumes(current: ObservedContainer, s: ServiceSpec): Record<string, string> {
  const own = s.volumesFrom && new Set(s.mounts.filter((m) => m.type === 'volume' && !m.source).map((m) => m.target));
  const carried: Record<string, string> = {};
  for (const m of current.mounts)
    if (m.type === 'volume' && m.name && ANONYMOUS_VOLUME.test(m.name) && (!own || own.has(m.destination)))
      carried[m.destination] = m.name;
  return carried;
}

/**
 * The create body of the slot's container `cname` and the endpoints connected right after the create, completed
 * by the network driver before the create is added (an op is final once added).
 */
function createBody(
  r: Reconciler,
  sl: Slot,
  cname: string,
  o: CreateOptions,
): { body: ContainerCreateBody; rest: [string, EndpointSettings][] } {
  const { svc } = sl;
  const body = containerCreateBody(svc.sc.config, {
    stack: r.stack,
    service: svc.name,
    slot: sl.slot,
    hash: svc.sc.hash,
    json: svc.sc.json,
    bundles: svc.sc.bundles,
    environment: svc.sc.environment,
    carried: o.carried,
    owner: r.observed.owner,
    ...(svc.s.volumesFrom ? { volumesFrom: volumesFromSources(r, svc.s, sl.host).names } : {}),
  });
  const endpoint = (net: string, e: Record<string, unknown>) =>
    o.withoutAliases && servedByDockerDns(r, net) ? { ...e, Aliases: [] } : e;
  const firstEndpoints = (
    body.NetworkingConfig as { EndpointsConfig?: Record<string, Record<string, unknown>> } | undefined
  )?.EndpointsConfig;
  for (const net of Object.keys(firstEndpoints ?? {})) firstEndpoints![net] = endpoint(net, firstEndpoints![net]);
  const rest = splitNetworks(svc.sc.config).rest.map(([net, cfg]): [string, EndpointSettings] => [
    net,
    endpoint(net, endpointConfig(cfg as Record<string, unknown>)),
  ]);
  const endpoints = [...Object.entries(firstEndpoints ?? {}), ...rest] as [string, EndpointSettings][];
  // The driver completes the endpoints in place: the body's entries below are the same objects.
  r.network.endpointFor(sl.host, cname, body, endpoints);
  if (!rest.length || !firstEndpoints || !apiAtLeast(hostApi(sl.hs.obs), ALL_NETWORKS_AT_CREATE)) return { body, rest };
  for (const [net, e] of rest) firstEndpoints[net] = e as Record<string, unknown>;
  return { body, rest: [] };
}
