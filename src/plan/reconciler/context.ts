/**
 * The reconciler's state, shared by its phases (src/plan/reconcile.ts lists them in order). Each field says
 * which phase fills it and who reads it; nothing else is shared between phases. Pure data.
 */
import type { DesiredState, NetworkSpec } from '../../stack/types.js';
import type { ObservedContainer, ObservedHost, ObservedState } from '../../observe/types.js';
import type { GlobalNetwork } from '../../observe/networks.js';
import type { Diagnostic } from '../../errors.js';
import type { Rollout } from '../types.js';
import type { Builder } from '../builder.js';
import type { ServiceConfig } from '../config.js';
import type { PlacementResult } from '../placement.js';
import type { OverlayPlan } from '../drivers/own-overlay/overlay-plan.js';
import type { NetworkDriver } from '../drivers/types.js';
import type { NetworkConfig } from '../network-config.js';
import type { HashKey } from '../../sensitive.js';

export interface PlanOptions {
  /** Remove everything of the stack (containers, networks, files volumes; named volumes with pruneVolumes). */
  destroy?: boolean;
  /** Remove named volumes that are no longer in the file (or all of them with destroy). */
  pruneVolumes?: boolean;
  /** Leave out hosts that could not be observed (a warning naming each) instead of an error. */
  skipUnreachable?: boolean;
  /**
   * The stack's hash key (its state store's; a throwaway one before the first apply): labels carry sensitive values
   * only as keyed HMACs. Absent only in tests and library calls that never write: a fixed public key (PUBLIC_TEST_KEY).
   */
  hashKey?: HashKey;
}

/** Per host: what exists, and the ops that create shared resources. */
export interface HostState {
  obs: ObservedHost;
  pulls: Map<string, string | null>;
  networks: Map<string, string | null>;
  volumes: Map<string, string | null>;
  files: Map<string, string | null>;
  /** Every op that removes a container on this host (networks and volumes wait for them). */
  containerRemovals: string[];
  /** Names of the stack's containers observed on this host. */
  containerNames: Set<string>;
}

/** What a dependent waits on, per replica of a dependency. */
export interface ReplicaRecord {
  host: string;
  name: string;
  started?: string;
  healthy?: string;
  completed?: string;
  observed?: ObservedContainer;
  /** The op after which the container has its final name. */
  final?: string;
}

/** A network whose config hash changed, removed (after its containers) on one host or, global, once. */
export interface NetworkRemoval {
  host: string;
  global: boolean;
  op: string;
}

export interface Reconciler {
  /** The file as given (its hosts), and as planned (empty of services, networks, volumes with destroy). */
  readonly desiredIn: DesiredState;
  readonly desired: DesiredState;
  readonly observed: ObservedState;
  readonly options: PlanOptions;
  readonly stack: string;
  /** Every phase appends; their order is the plan's. */
  readonly diagnostics: Diagnostic[];
  /** The plan being built: an op is final once added. */
  readonly b: Builder;
  /** Inputs: the hosts observed without error, in the file's order, and their state. */
  readonly usableList: string[];
  readonly hosts: Map<string, HostState>;
  /** Inputs: each service's hashed config, where its replicas go, and the order services are planned in. */
  readonly configs: Map<string, ServiceConfig>;
  readonly placement: PlacementResult['placement'];
  readonly order: string[];
  /** Inputs: stack's own overlay (src/plan/drivers/own-overlay/) and the host that creates engine overlay networks. */
  readonly overlay: OverlayPlan;
  /** The network driver the reconciler asks while it builds containers (src/plan/drivers/types.ts). */
  readonly network: NetworkDriver;
  readonly creator: string | undefined;
  /** Network engine name → its key in the file. */
  readonly keyOfNetwork: Map<string, string>;
  readonly observedGlobal: Map<string, GlobalNetwork>;
  /** The file's networks the stack creates, by engine name, with their hashed config. */
  readonly wantedNets: Map<string, { spec: NetworkSpec; config: NetworkConfig }>;
  /** Replaced networks: network name → its removals. */
  readonly networkRemovals: Map<string, NetworkRemoval[]>;
  /** Replaced networks: container id → its removal, for containers removed because a network they are on is replaced. */
  readonly preRemoved: Map<string, { op: string; networks: string[] }>;
  /** Shared resources: engine overlay networks created (or found) once for every host. */
  readonly createdGlobal: Map<string, string | null>;
  /** Services: per service, what its dependents wait on; and the wait ops added for dependents, by key. */
  readonly replicas: Map<string, ReplicaRecord[]>;
  readonly waitOps: Map<string, string | undefined>;
  /** Services: ids of the observed containers a slot took (orphans are the rest). */
  readonly claimed: Set<string>;
  /** Services: one rolling update per service with replaced replicas. */
  readonly rollouts: Rollout[];
}

/** Is this network served by Docker's embedded DNS (bridge, engine overlay, external)? Stack's own overlay names come from Consul. */
export function servedByDockerDns(r: Reconciler, net: string): boolean {
  return !r.network.realises(r.keyOfNetwork.get(net) ?? net);
}
