import type { OverlayObserved } from '../overlay/types.js';
import type { StackOwner } from '../labels.js';
import type { EngineVersion } from '../docker/client.js';

export type { EngineVersion };

/**
 * The observed state: one plain-data snapshot per run, taken before planning. Label values are parsed
 * into typed fields here; nothing after observe calls Docker.
 */

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type HealthState = 'healthy' | 'unhealthy' | 'starting';

export interface ObservedMount {
  type: string;
  /** Volume name (volumes) or host path (binds). */
  name?: string;
  source?: string;
  destination: string;
}

/** What `--refresh` adds by inspecting a container: drift the hash cannot see. */
export interface ContainerRuntime {
  running: boolean;
  exitCode: number;
  restartCount: number;
  restartPolicy: { name: string; maximumRetryCount: number };
  /** Network names the container is connected to. */
  networks: string[];
  resources: { memory: number; nanoCpus: number; pidsLimit: number; memoryReservation: number };
}

/** A host port a running container publishes (GET /containers/json's Ports with a PublicPort). */
export interface PublishedPort {
  /** `0.0.0.0`, `::` or a given address. */
  hostIp: string;
  port: number;
  protocol: string;
  /** The container port it forwards to, when the list says. */
  target?: number;
}

export interface ObservedContainer {
  id: string;
  /** Without the leading slash. */
  name: string;
  host: string;
  service: string;
  /** `1`, `2`… or the host name in global mode. */
  slot: string;
  configHash?: string;
  /** The normalised config the container was created from (from its label), if readable. */
  config?: Record<string, unknown>;
  /** `temporary`, `helper` or absent. */
  role?: string;
  state: ContainerState;
  health?: HealthState;
  /** From the list's Status (`Exited (0) 3 minutes ago`); undefined when not exited. */
  exitCode?: number;
  networks: string[];
  mounts: ObservedMount[];
  labels: Record<string, string>;
  runtime?: ContainerRuntime;
  /** The image as the container was created from (the list's Image); absent when the list has none. */
  image?: string;
  /** Host ports it publishes (running containers only: the list shows none for stopped ones); absent when none. */
  ports?: PublishedPort[];
}

export interface ObservedNetwork {
  id: string;
  name: string;
  driver: string;
  /** `local`, or `global` for a network in the daemons' cluster store (seen on every host that shares it). */
  scope: string;
  /** Key in the stack file (label). */
  key?: string;
  /** IPAM subnets, as the Engine reports them (given or assigned). */
  subnets?: string[];
  /** Hash of the network config stack created it from (label); absent for networks created without one. */
  configHash?: string;
  /** The normalised network config stack created it from (label), if readable. */
  config?: Record<string, unknown>;
  labels: Record<string, string>;
}

/** Which overlay a host's own overlay networks already are (ObservedHost.overlayShown). */
export type OverlayShown = 'engine' | 'own';

/** What overlay networks need from GET /info: the daemon's cluster store. Empty strings when unset. */
export interface EngineInfo {
  clusterStore: string;
  clusterAdvertise: string;
}

export interface ObservedVolume {
  name: string;
  driver: string;
  /** Key in the stack file for named volumes. */
  key?: string;
  /** Content hash for stack's secret/config file volumes. */
  contentHash?: string;
  labels: Record<string, string>;
}

export interface ObservedImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
}

export interface ObservedHost {
  name: string;
  /** Set when the host could not be observed; the planner refuses to plan it. */
  error?: string;
  containers: ObservedContainer[];
  networks: ObservedNetwork[];
  /**
   * Networks on the host that are not this stack's own (external ones, other stacks', hand-made, and networks with
   * this stack's labels but another identity or none). Absent only in states not made by observe.
   */
  foreignNetworks?: ObservedNetwork[];
  /** Every other container on the host (any owner, same stack name included): names taken, ports published. */
  foreignContainers?: ObservedContainer[];
  /** Every other volume on the host (hand-made, other stacks', this stack's name with another identity or none). */
  foreignVolumes?: ObservedVolume[];
  /**
   * GET /info, gathered only when the stack has overlay networks that its own networks on the host do not already
   * account for (see `overlayShown`).
   */
  engine?: EngineInfo;
  /**
   * Set instead of `engine` when every overlay network of the stack is already on the host as its own, all of one
   * kind: `engine` — the daemons' overlay, listed from the cluster store (so the store works); `own` — stack's own
   * overlay, which `x-stack.overlay: auto` keeps. GET /info makes dockerd run runc and docker-init, the most
   * expensive read a no-op would make, and would not change the plan.
   */
  overlayShown?: OverlayShown;
  /**
   * GET /version: the Engine release and the API version stack speaks to this host at (negotiated before the
   * lists). Absent only in states not made by observe: the planner then assumes the oldest API (1.41).
   */
  version?: EngineVersion;
  volumes: ObservedVolume[];
  images: ObservedImage[];
}

export interface ObservedState {
  stack: string;
  /**
   * The identity this run acts as (src/state): only objects labelled with it are in the hosts' containers,
   * networks and volumes; the rest are foreign. Absent before the stack's first apply (nothing is its own yet).
   */
  owner?: StackOwner;
  hosts: Record<string, ObservedHost>;
  /** Image reference as written → manifest digest (`sha256:…`); absent when it could not be resolved. */
  digests: Record<string, string>;
  /** Image references whose digest could not be resolved, with why. */
  digestErrors: Record<string, string>;
  /** True when every container was inspected (`plan --refresh`). */
  refreshed: boolean;
  /** Stack's own overlay (cluster stores, Consul state, devices); absent when the stack has no overlay network. */
  overlay?: OverlayObserved;
}

export function emptyObserved(stack: string, hosts: string[]): ObservedState {
  return {
    stack,
    hosts: Object.fromEntries(
      hosts.map((h) => [h, { name: h, containers: [], networks: [], volumes: [], images: [] }]),
    ),
    digests: {},
    digestErrors: {},
    refreshed: false,
  };
}
