/**
 * Network drivers: how a network realisation takes part in planning. The reconciler asks its driver while it
 * builds each container's operations, so an operation is complete when it is added: what a stop or a drain must
 * wait for is asked before that stop or drain is added, and the driver reserves the ids of the operations it adds
 * later, in its finish (`Builder.reserve`).
 *
 * Only stack's own overlay (Consul-backed, src/plan/drivers/own-overlay/) is a driver object. Bridge networks and
 * the engine's overlay need none: Docker's embedded DNS serves their names, and the reconciler creates them itself
 * (`ensureNetwork` in src/plan/reconciler/shared-resources.ts).
 */
import type { EndpointSettings } from 'dockerode';
import type { ContainerCreateBody, Rollout } from '../types.js';

/** A container stop (or remove) the reconciler is about to add. */
export interface StopRequest {
  kind: 'container.stop' | 'container.remove';
  host: string;
  /** The container stopped or removed. */
  name: string;
  resource: string;
  /** The stop's own dependencies (defined, without repeats). */
  deps: string[];
  /** Its replace group, if it is part of one. */
  group?: string;
}

/** A start-first replica, started and ready, whose drain the rollout is about to add. */
export interface StartedReplica {
  host: string;
  /** The id of the new container's create op. */
  create: string;
  group: string;
}

export interface NetworkDriver {
  /** Does this driver realise the network (by its key in the stack file)? */
  realises(key: string): boolean;
  /** The op after which the network is usable on the host; undefined when it already is. */
  readyOn(host: string, key: string): string | undefined;
  /**
   * Before a new container's create op is added: completes its create body and its endpoints (the create's and
   * those connected right after, by network name) — for the own overlay, Consul's DNS and search domain and no
   * local aliases.
   */
  endpointFor(
    host: string,
    container: string,
    body: ContainerCreateBody,
    endpoints: [string, EndpointSettings][],
  ): void;
  /**
   * Before a container stop (or a remove without a stop) is added: the ids it must also wait for — for the own
   * overlay, the replica's catalog deregistrations (reserved now, added by `finish`).
   */
  beforeStop(stop: StopRequest): string[];
  /**
   * Before a start-first replica's drain is added: the ids the drain must also wait for — for the own overlay, the
   * new replica's catalog registrations under its temporary name (reserved now, added by `finish`).
   */
  afterStart(started: StartedReplica): string[];
  /**
   * After the reconciler planned every container: adds the driver's own operations, those reserved by
   * `beforeStop` and `afterStart` among them — for the own overlay, catalog registrations after start and
   * deregistrations before stop, devices and leases of networks no longer wanted.
   */
  finish(rollouts: Rollout[]): void;
}
