/** The pipeline after loading: observe → plan → apply. Library code: returns values, never prints. */
import type { DesiredState } from '../stack/types.js';
import { clientsFor, type HostClient } from '../docker/client.js';
import type { FaultSettings } from '../docker/faults.js';
import { observe } from '../observe/index.js';
import type { ObservedState } from '../observe/types.js';
import { reconcile, type PlanOptions } from '../plan/reconcile.js';
import type { Plan } from '../plan/types.js';
import { apply, contentsOf, type ApplyResult, type Reporter } from './index.js';
import { ConsulOverlayStore, type OverlayStore } from '../overlay/store.js';
import { ConsulClient } from '../consul/client.js';
import { resolveConsulConfig, type ConsulConfig } from '../consul/config.js';
import type { StackOwner } from '../labels.js';

export interface PipelineOptions extends PlanOptions {
  refresh?: boolean;
  env?: NodeJS.ProcessEnv;
  clients?: ReadonlyMap<string, HostClient>;
  /** Time limits and retries of Engine calls (default DEFAULT_FAULT_SETTINGS). */
  faults?: FaultSettings;
  /** Consul for stack's own overlay; default: CONSUL_HTTP_ADDR (env), then the inventory's `consul:`. */
  consul?: ConsulConfig;
  /** The stack's identity from its state store: only objects labelled with it are the stack's own (src/observe/owner.ts). */
  owner?: StackOwner;
}

export interface Planned {
  plan: Plan;
  observed: ObservedState;
  clients: ReadonlyMap<string, HostClient>;
  /** Consul as the overlay's store, for the apply of this plan (the one observe read). */
  overlayStore?: OverlayStore;
}

export async function planStack(desired: DesiredState, options: PipelineOptions = {}): Promise<Planned> {
  const clients = options.clients ?? clientsFor(desired.hosts, options.faults);
  const consul = options.consul ?? resolveConsulConfig(undefined, options.env ?? process.env, desired.settings.consul);
  const overlayStore = consul ? new ConsulOverlayStore(new ConsulClient(consul)) : undefined;
  const observed = await observe(desired, clients, { refresh: options.refresh, destroy: options.destroy, resolveDigests: !options.destroy, env: options.env, overlayStore, owner: options.owner });
  return { plan: reconcile(desired, observed, options), observed, clients, overlayStore };
}

export async function applyPlanned(desired: DesiredState, planned: Planned, reporter?: Reporter, options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; hardSignal?: AbortSignal } = {}): Promise<ApplyResult> {
  return apply(planned.plan, {
    clients: planned.clients,
    hostConcurrency: desired.settings.hostConcurrency,
    globalConcurrency: desired.settings.globalConcurrency,
    contents: contentsOf(desired),
    reporter,
    env: options.env,
    signal: options.signal,
    hardSignal: options.hardSignal,
    overlayStore: planned.overlayStore,
  });
}
