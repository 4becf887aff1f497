/**
 * A plan is a documented value: a DAG of operations, each one Engine API call on one host, with a
 * resource id and a human cause; plus, for people, the resource-level changes (+ ~ - ±) with the
 * fields that changed. Causes and field lists are for display; the executor only reads `kind`,
 * `host`, `deps`, `after`, `params`, `group`, `rollout` and `write`.
 */
import type Docker from 'dockerode';
import type { Diagnostic } from '../errors.js';
import type { StackOwner } from '../labels.js';
import type { AllocationRequest } from '../overlay/allocate.js';
import type { CatalogRegistration } from '../overlay/store.js';
import type { OverlayChoice } from '../overlay/types.js';
import type { ReadyGate } from './health.js';
import type { Sensitive } from '../sensitive.js';

/** What happens to a resource, Terraform style. */
export type Action = 'create' | 'update' | 'delete' | 'replace';

export const ACTION_SYMBOL: Record<Action, string> = { create: '+', update: '~', delete: '-', replace: '±' };

/**
 * One changed field: `restart: "no" → "always"`. Sensitive values are never carried, only `sensitive`; the
 * environment's old values are never carried (labels hold them as keyed HMACs), only `change` and, for a variable
 * that is not sensitive, its new value (`after`).
 */
export interface FieldChange {
  path: string;
  before?: unknown;
  after?: unknown;
  sensitive?: boolean;
  /** Set where the old value is unknown or hidden (the environment): how the field changed. */
  change?: 'added' | 'removed' | 'changed';
}

/** A resource-level change, for people and for `--json`. */
export interface ResourceChange {
  host: string;
  /** `container`, `network`, `volume` or `image`. */
  type: 'container' | 'network' | 'volume' | 'image';
  /** `service:web:1`, `network:default`, `volume:data`, `files:ab12cd34ef56`, `image:busybox:1.35`. */
  resource: string;
  /** Service name for containers; absent for shared resources. */
  service?: string;
  /** Name on the daemon. */
  name: string;
  action: Action;
  cause: string;
  fields: FieldChange[];
  /** A global-scope (overlay) network: one object every host sees; `host` is the host the call goes through. */
  allHosts?: boolean;
}

/**
 * The parameters of each operation kind: a closed map, so `switch (op.kind)` narrows `op.params`. A new kind goes
 * here, in OP_KINDS below, and in the executor's switch (src/apply/), whose exhaustiveness check fails to compile
 * until it has its case.
 */
export interface OpParams {
  'image.pull': PullParams;
  'network.create': NetworkCreateParams;
  'network.remove': NameParams;
  'volume.create': VolumeCreateParams;
  'volume.remove': NameParams;
  'container.create': ContainerCreateParams;
  'network.connect': ConnectParams;
  'network.disconnect': DisconnectParams;
  'container.start': StartParams;
  'container.stop': StopParams;
  'container.remove': RemoveParams;
  'container.rename': RenameParams;
  'container.update': UpdateParams;
  'container.wait-healthy': WaitHealthyParams;
  'container.wait-exit': WaitParams;
  'container.wait-running': WaitRunningParams;
  'container.wait-ready': WaitReadyParams;
  'archive.put': ArchiveParams;
  'rollout.barrier': DelayParams;
  'rollout.drain': DelayParams;
  // stack's own Consul-backed overlay (src/overlay/): Consul writes, the host's bridge, the helper, the catalog.
  'overlay.allocate': OverlayAllocateParams;
  'overlay.bridge': OverlayBridgeParams;
  'overlay.program': OverlayProgramParams;
  'overlay.unprogram': OverlayUnprogramParams;
  'overlay.release': OverlayReleaseParams;
  'overlay.register': OverlayRegisterParams;
  'overlay.deregister': OverlayDeregisterParams;
}

export type OpKind = keyof OpParams;

const KINDS: Record<OpKind, true> = {
  'image.pull': true,
  'network.create': true,
  'network.remove': true,
  'volume.create': true,
  'volume.remove': true,
  'container.create': true,
  'network.connect': true,
  'network.disconnect': true,
  'container.start': true,
  'container.stop': true,
  'container.remove': true,
  'container.rename': true,
  'container.update': true,
  'container.wait-healthy': true,
  'container.wait-exit': true,
  'container.wait-running': true,
  'container.wait-ready': true,
  'archive.put': true,
  'rollout.barrier': true,
  'rollout.drain': true,
  'overlay.allocate': true,
  'overlay.bridge': true,
  'overlay.program': true,
  'overlay.unprogram': true,
  'overlay.release': true,
  'overlay.register': true,
  'overlay.deregister': true,
};

/** Every operation kind, at run time (the record above makes the compiler check it is the whole union). */
export const OP_KINDS = Object.keys(KINDS) as OpKind[];

/** Ends a switch over a closed union: compiles only when every member has its case. */
export function unreachable(x: never, what = 'value'): never {
  throw new Error(`unknown ${what}: ${JSON.stringify(x)}`);
}

/**
 * Engine API bodies, as the planner builds them (src/plan/engine.ts) and the executor passes them on. A create
 * body's `Env` holds sensitive variables as Sensitive (`DB_PASSWORD=(sensitive)` in any output); the executor
 * reveals them only into the request it sends (src/apply/operations/engine-calls.ts).
 */
export type ContainerCreateBody = Omit<Docker.ContainerCreateOptions, 'Env'> & { Env?: (string | Sensitive)[] };
export type NetworkCreateBody = Docker.NetworkCreateOptions;
export type VolumeCreateBody = Docker.VolumeCreateOptions;
/** `POST /networks/{id}/connect`: the container and its endpoint (aliases, IPAM config). */
export interface ConnectBody {
  Container: string;
  EndpointConfig: Docker.EndpointSettings;
}
/** `POST /containers/{id}/update`: stack updates only the restart policy in place. */
export interface UpdateBody {
  RestartPolicy: Docker.HostRestartPolicy;
}

export interface PullParams {
  image: string;
  /** os/arch[/variant] to pull for (the service's `platform`); absent: the daemon's own. */
  platform?: string;
}
export interface NetworkCreateParams {
  body: NetworkCreateBody;
}
export interface NameParams {
  name: string;
}
export interface VolumeCreateParams {
  body: VolumeCreateBody;
}
export interface ContainerCreateParams {
  name: string;
  body: ContainerCreateBody;
}
export interface ConnectParams {
  network: string;
  container: string;
  body: ConnectBody;
}
export interface DisconnectParams {
  network: string;
  container: string;
}
export interface StopParams {
  name: string;
  timeoutSeconds?: number;
  /** `pre_stop` hooks, run in the container before it is stopped; a failure is a warning (as in Compose). */
  preStop?: ExecHook[];
}
export interface StartParams {
  name: string;
  /** `post_start` hooks, run in order right after the start; a failure fails the op. */
  postStart?: ExecHook[];
}
/** A lifecycle hook as the executor runs it: one exec in the container (an Engine exec body). */
export interface ExecHook {
  Cmd: string[];
  User?: string;
  Privileged: boolean;
  WorkingDir?: string;
  /** Sensitive values stay wrapped until the exec request (src/apply/operations/hooks.ts). */
  Env?: (string | Sensitive)[];
}
export interface RemoveParams {
  name: string;
  force: boolean;
  /** Remove anonymous volumes with it (never when they are carried over to a replacement). */
  volumes: boolean;
}
export interface RenameParams {
  name: string;
  newName: string;
}
export interface UpdateParams {
  name: string;
  body: UpdateBody;
}
export interface WaitParams {
  name: string;
  timeoutMs: number;
}
/**
 * `container.wait-healthy`; `healthcheckFrom: 'container'`: the file defines no test, so the container's own
 * (its image's HEALTHCHECK) must make it healthy — an error when it has none.
 */
export interface WaitHealthyParams extends WaitParams {
  healthcheckFrom?: 'container';
}
/** `container.wait-running`: the container must stay running, without a restart, for `monitorMs`. */
export interface WaitRunningParams {
  name: string;
  monitorMs: number;
  timeoutMs: number;
}
/**
 * `container.wait-ready`: healthy when the container has a healthcheck (Config.Healthcheck from its inspect: the
 * image's, merged by the daemon), within the time its timings give; otherwise as `container.wait-running`.
 */
export interface WaitReadyParams {
  name: string;
  monitorMs: number;
  /** Time limit when the container has no healthcheck (the healthy wait's comes from its timings). */
  timeoutMs: number;
}
/**
 * `rollout.barrier`: no Engine call; waits for its `after` ops (and their compensations), then `delayMs`.
 * `rollout.drain`: no Engine call; `delayMs` for every host to learn a new replica's address.
 */
export interface DelayParams {
  delayMs: number;
}
/** A file written into a files volume; `ref` names the bytes (`secret:KEY` or `config:KEY`) — never the bytes. */
export interface ArchiveFile {
  name: string;
  ref: string;
  mode: number;
  uid: number;
  gid: number;
}
export interface ArchiveParams {
  container: string;
  path: string;
  files: ArchiveFile[];
}
/** `overlay.allocate`: VNI, subnet and host leases, check-and-set in Consul (src/overlay/allocate.ts). */
export type OverlayAllocateParams = AllocationRequest;
/** `overlay.bridge`: the host's bridge network, from the allocation and lease read back from Consul. */
export interface OverlayBridgeParams {
  stack: string;
  key: string;
  name: string;
  host: string;
  owner?: StackOwner;
}
/** `overlay.program`: the helper makes the host's VXLAN device and sets its peers (underlay addresses). */
export interface OverlayProgramParams {
  stack: string;
  key: string;
  name: string;
  host: string;
  peers: string[];
  /** The helper image, by digest. */
  image: string;
  owner?: StackOwner;
}
/** `overlay.unprogram`: the helper removes the host's VXLAN device of a network no longer wanted. */
export interface OverlayUnprogramParams {
  stack: string;
  key: string;
  host: string;
  vni: number;
  image: string;
  owner?: StackOwner;
}
/** `overlay.release`: the network's VNI, subnet and leases back to the pool. */
export interface OverlayReleaseParams {
  stack: string;
  key: string;
}
/** `overlay.register`: a replica in Consul's catalog, at its address on `network` (read from its inspect). */
export type OverlayRegisterParams = Omit<CatalogRegistration, 'address'> & {
  container: string;
  network: string;
};
/** `overlay.deregister`: a replica out of Consul's catalog. */
export interface OverlayDeregisterParams {
  node: string;
  serviceId: string;
}

/** One operation of kind K. The object is built in this key order (plan --json shows it as built). */
export interface OperationOf<K extends OpKind> {
  /** Unique within the plan: `h1 create app-web-1`. */
  id: string;
  kind: K;
  host: string;
  /** The resource this call acts on: `service:web:1`, `network:default`, … */
  resource: string;
  cause: string;
  /** Ids of operations that must succeed first. */
  deps: string[];
  params: OpParams[K];
  /** Ids of operations that must have finished, whatever their outcome (rollout batch barriers), before this one. */
  after?: string[];
  /** Replace group: when an operation of the group fails, the executor runs the group's compensation. */
  group?: string;
  /** Service whose rollout this operation belongs to: skipped once that rollout stops (pause, rollback). */
  rollout?: string;
  /** Reads and polls (wait-*) hold no concurrency slot and make no write. */
  write: boolean;
}

/** An operation: a discriminated union on `kind`, so a switch over it narrows `params`. */
export type Operation = { [K in OpKind]: OperationOf<K> }[OpKind];

/**
 * Operations run, best effort and in order, when an operation of the group fails (undo a replace).
 * An op with `ifDone` runs only when that forward operation succeeded (it undoes exactly that step).
 */
export interface Compensation {
  group: string;
  ops: (Operation & { ifDone?: string })[];
}

export interface Plan {
  stack: string;
  hosts: string[];
  changes: ResourceChange[];
  operations: Operation[];
  compensations: Compensation[];
  diagnostics: Diagnostic[];
  /** Where every desired replica lives after the apply: `service` → slot → host. */
  placement: Record<string, Record<string, string>>;
  /** Per `driver: overlay` network: which overlay realises it (engine or stack's own, Consul-backed) and why. */
  overlay?: OverlayChoice[];
  /** Rolling updates, one per service with replaced replicas (see src/plan/rollout.ts). */
  rollouts: Rollout[];
  /** The operator's policy (docs/policy.md): present when the inventory has one or the stack breaks a rule. */
  policy?: PlanPolicy;
}

/** The policy's mode and the stack's violations of it (warnings: an enforced violation stops the run before a plan). */
export interface PlanPolicy {
  mode: 'warn' | 'enforce';
  violations: Diagnostic[];
}

/** One replica of a rollout: its replace group, and the ops that put the previous container back once it finished. */
export interface RolloutReplica {
  group: string;
  resource: string;
  host: string;
  name: string;
  /** Run in order when the rollout is rolled back after this replica was updated (src/plan/rollback.ts). */
  rollback: Operation[];
}

/** The policy and batches of one service's rolling update; the executor follows it without deciding anything. */
export interface Rollout {
  service: string;
  replicas: number;
  /** Effective order (start-first falls back to stop-first when a host port is published). */
  order: 'stop-first' | 'start-first';
  parallelism: number;
  delayMs: number;
  monitorMs: number;
  /**
   * What makes a replica count as updated: healthy (the file defines a healthcheck), running for monitorMs (the
   * file disables it), or either, as the container turns out to have a healthcheck (its image's) or not.
   */
  gate: ReadyGate;
  failureAction: 'rollback' | 'pause' | 'continue';
  maxFailureRatio: number;
  /** Failed replicas tolerated before failureAction applies: floor(maxFailureRatio × replicas to update). */
  maxFailures: number;
  batches: RolloutReplica[][];
  /** rollback_config: how the replicas already updated are put back when the rollout is rolled back (src/plan/rollback.ts). */
  rollback: RollbackPolicy;
}

/** deploy.rollback_config as the executor follows it. */
export interface RollbackPolicy {
  /** Replicas put back at a time (one rollback batch). */
  parallelism: number;
  /** Wait between rollback batches. */
  delayMs: number;
  /** Effective order (start-first falls back to stop-first when a host port is published). */
  order: 'stop-first' | 'start-first';
  /** What makes a put-back replica count as back, as Rollout.gate. */
  gate: ReadyGate;
  monitorMs: number;
  /** Time limit of that wait. */
  timeoutMs: number;
  /** Failed put-backs tolerated before failure_action applies: floor(rollback_config.max_failure_ratio × replicas). */
  maxFailures: number;
  maxFailureRatio: number;
  /** `pause`: a replica that cannot be put back (beyond maxFailures) stops the rest of the rollback; `continue`: the rest goes on. */
  failureAction: 'continue' | 'pause' | 'rollback';
}

export function hasChanges(plan: Plan): boolean {
  return plan.operations.length > 0;
}
