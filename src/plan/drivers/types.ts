/**
 * Network drivers: how a network realisation takes part in planning. The reconciler asks its driver while it
 * builds each container's operations, so an operation is complete when it is added.
 *
 * Only stack's own overlay (Consul-backed, src/plan/drivers/own-overlay/) is a driver object. Bridge networks and
 * the engine's overlay need none: Docker's embedded DNS serves their names, and the reconciler creates them itself
 * (`ensureNetwork` in src/plan/reconciler/shared-resources.ts).
 */
import type { EndpointSettings } from 'dockerode';
import type { ContainerCreateBody, Rollout } from '../types.js';

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
   * After the reconciler planned every container: adds the driver's own operations — for the own overlay, catalog
   * registrations after start and deregistrations before stop, devices and leases of networks no longer wanted.
   * (It still adds the deregistrations to the stop's deps and a start-first register to the drain's deps after
   * those were added: reserving op ids ahead, so that `beforeStop`/`afterStart` can name them, is not done yet.)
   */
  finish(rollouts: Rollout[]): void;
}
