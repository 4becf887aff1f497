/** The pipeline after loading: observe → plan → apply. Library code: returns values, never prints, never reads the environment. */
import type { DesiredState } from '../stack/types.js';
import { operatorHosts } from '../stack/hosts.js';
import { clientsFor, type HostClient } from '../docker/client.js';
import {
  CredentialConfigError,
  resolveCredentials,
  type CredentialSource,
  type RegistryCredentials,
} from '../docker/auth.js';
import { CredentialHelperError } from '../docker/credential-helper.js';
import { registryOf } from '../docker/image-ref.js';
import { ExitError } from '../errors.js';
import type { FaultSettings } from '../docker/faults.js';
import { observe } from '../observe/index.js';
import type { ObservedState } from '../observe/types.js';
import { reconcile, type PlanOptions } from '../plan/reconcile.js';
import type { Plan } from '../plan/types.js';
import { apply, contentsOf, type ApplyResult, type Reporter } from './index.js';
import { ConsulOverlayStore, type OverlayStore } from '../overlay/store.js';
import { ConsulClient } from '../consul/client.js';
import { resolveConsulConfig, type ConsulConfig } from '../consul/config.js';
import { UNFENCED, type Fence } from '../fence.js';
import type { StackOwner } from '../labels.js';

export interface PipelineOptions extends PlanOptions {
  refresh?: boolean;
  clients?: ReadonlyMap<string, HostClient>;
  /** Time limits and retries of Engine calls (default DEFAULT_FAULT_SETTINGS). */
  faults?: FaultSettings;
  /** Consul for stack's own overlay (the CLI resolves --consul > CONSUL_HTTP_ADDR > inventory); default: the inventory's `consul:`. */
  consul?: ConsulConfig;
  /**
   * Where registry credentials come from (the CLI: the inventory's registries:, then the Docker config file and its
   * helpers); asked lazily, once per registry — by observe when a registry refuses the digest question without
   * credentials, and for the registries the plan pulls from (pullCredentials) — and only when the operator chose the hosts.
   */
  credentials?: CredentialSource;
  /** The lock this run holds: no write (Engine, overlay state in Consul) is sent once it is lost. */
  fence?: Fence;
  /** The stack's identity from its state store: only objects labelled with it are the stack's own (src/observe/owner.ts). */
  owner?: StackOwner;
  /**
   * The Engine API version the stack's last apply spoke to each host at (its newest revision's apiVersions): each
   * host's lists are sent at it beside the ping, kept when the ping says the same (HostClient.hintApi).
   */
  apiHints?: Record<string, string>;
  /** The stack has no revision yet, or its newest is a destroy: observe asks each host's /info ahead (ObserveOptions.coldStart). */
  coldStart?: boolean;
}

export interface Planned {
  plan: Plan;
  observed: ObservedState;
  clients: ReadonlyMap<string, HostClient>;
  /** Consul as the overlay's store, for the apply of this plan (the one observe read). */
  overlayStore?: OverlayStore;
  /** The credentials the apply's pulls may send: none when the hosts came from the stack file (x-stack.hosts). */
  credentials?: RegistryCredentials;
}

export async function planStack(desired: DesiredState, options: PipelineOptions = {}): Promise<Planned> {
  const fence = options.fence ?? UNFENCED;
  const clients = options.clients ?? clientsFor(desired.hosts, options.faults, fence);
  for (const [host, version] of Object.entries(options.apiHints ?? {})) clients.get(host)?.hintApi(version);
  const consul = options.consul ?? resolveConsulConfig(undefined, {}, desired.settings);
  const overlayStore = consul ? new ConsulOverlayStore(new ConsulClient(consul).fenceWith(fence)) : undefined;
  const source = operatorHosts(desired.hostsSource) && !options.destroy ? options.credentials : undefined;
  const observed = await credentialFailures(() =>
    observe(desired, clients, {
      refresh: options.refresh,
      destroy: options.destroy,
      resolveDigests: !options.destroy,
      credentials: source,
      overlayStore,
      owner: options.owner,
      coldStart: options.coldStart,
    }),
  );
  const plan = reconcile(desired, observed, options);
  const credentials = source ? await credentialFailures(() => pullCredentials(plan, source)) : undefined;
  return { plan, observed, clients, overlayStore, credentials };
}

/**
 * The credentials of the registries the plan pulls from, and of those only (a credential helper runs here, before
 * the apply's first write; a plan without pulls runs none).
 */
function pullCredentials(plan: Plan, source: CredentialSource): Promise<RegistryCredentials> {
  const registries = plan.operations.flatMap((op) => (op.kind === 'image.pull' ? [registryOf(op.params.image)] : []));
  return resolveCredentials(source, registries);
}

/** A credential helper's or config.json's failure ends the run with one error naming the registry and the helper. */
async function credentialFailures<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CredentialHelperError || err instanceof CredentialConfigError)
      throw new ExitError(1, [{ severity: 'error', summary: err.message, hint: err.hint }]);
    throw err;
  }
}

export async function applyPlanned(
  desired: DesiredState,
  planned: Planned,
  reporter?: Reporter,
  options: { signal?: AbortSignal; hardSignal?: AbortSignal } = {},
): Promise<ApplyResult> {
  return apply(planned.plan, {
    clients: planned.clients,
    hostConcurrency: desired.settings.hostConcurrency,
    globalConcurrency: desired.settings.globalConcurrency,
    contents: contentsOf(desired),
    reporter,
    credentials: planned.credentials,
    signal: options.signal,
    hardSignal: options.hardSignal,
    overlayStore: planned.overlayStore,
  });
}
