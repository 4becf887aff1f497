/** The rollout's vocabulary: what the reconciler asks for per replaced replica, and what it gets back. Pure types. */
import type { Diagnostic } from '../../errors.js';
import type { Compensation, Rollout } from '../types.js';
import type { ReadyGate } from '../health.js';
import type { NetworkDriver } from '../drivers/types.js';

/** One replica whose container must be replaced, as the reconciler found it. */
export interface ReplaceRequest {
  slot: string;
  host: string;
  /** The replica's container name (the old one has it now, the new one gets it at the end). */
  final: string;
  /** The temporary name the new container is created under. */
  temporary: string;
  resource: string;
  /**
   * Adds the create (and network connects) of the new container in `group`; returns the first and last op ids.
   * `withoutAliases`: its endpoints on the networks in `dns` get no aliases yet (start-first admits it later);
   * `after`: the create waits for these ops to settle, whatever their outcome (the previous batch's starts).
   */
  create: (
    group: string,
    extra: { rollout: string },
    options?: { withoutAliases?: boolean; after?: string[] },
  ) => { first: string; last: string };
  /** The new container's endpoints on networks whose names Docker's DNS serves (bridge, engine overlay), aliases included. */
  dns: DnsEndpoint[];
  /** The old container's endpoints on those networks, as it was created (to take it out of the names and put it back). */
  previousDns: DnsEndpoint[];
  /** Ops the new container's start waits for (depends_on of the service). */
  startGates: string[];
}

/** A container's endpoint on a network whose names Docker's embedded DNS serves. */
export interface DnsEndpoint {
  network: string;
  /** The Engine's EndpointConfig (Aliases, IPAMConfig). */
  endpoint: Record<string, unknown>;
}

/**
 * start-first: how long the new replica is in the service's names, next to the old one, before the old one
 * leaves them and stops — time for the other hosts to learn the new address (the engine overlay's gossip,
 * Consul's catalog) and for requests already sent to the old one to finish.
 */
export const DRAIN_MS = 1000;

export interface RolloutContext {
  /** What makes a replica count as updated (src/plan/health.ts). */
  gate: ReadyGate;
  healthTimeoutMs: number;
  /**
   * Which host (in name order) the first batch starts on: the reconciler passes the number of rollouts
   * planned before this one, so services rolling at the same time start on different hosts instead of
   * all replacing on the first host, then all on the second, … (each daemon then has a share of the work).
   */
  hostOffset?: number;
  /** Asked before each stop, remove and drain is added: what it must also wait for (src/plan/drivers/types.ts). */
  network: Pick<NetworkDriver, 'beforeStop' | 'afterStart'>;
}

/** What the reconciler records per replaced replica for dependents and cleanup. */
export interface PlannedReplica {
  host: string;
  name: string;
  started: string;
  healthy?: string;
  final: string;
}

export interface PlannedRollout {
  rollout: Rollout;
  compensations: Compensation[];
  replicas: PlannedReplica[];
  /** Container removals by host (the kept containers), for networks and volumes to wait on. */
  removals: { host: string; id: string }[];
  diagnostics: Diagnostic[];
}

/** The name the previous container is kept under, stopped, until the rollout completes. */
export function keptName(name: string): string {
  return `${name}_kept`;
}

export const ms = (ns: number) => Math.round(ns / 1e6);
