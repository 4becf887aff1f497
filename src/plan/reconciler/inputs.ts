/**
 * The reconciler's inputs, in the order their diagnostics appear: the usable hosts, each service's config
 * (with its digest), placement, service order, stack's own overlay and the network checks. Pure.
 */
import type { DesiredState, ServiceSpec } from '../../stack/types.js';
import type { ObservedHost, ObservedState } from '../../observe/types.js';
import { globalNetworks } from '../../observe/networks.js';
import { error, warning, type Diagnostic } from '../../errors.js';
import { normaliseImageRef } from '../../docker/image-ref.js';
import { Builder } from '../builder.js';
import { PUBLIC_TEST_KEY, type HashKey } from '../../sensitive.js';
import { serviceConfig, type ServiceConfig } from '../config.js';
import { place } from '../placement.js';
import { sourceServices } from '../co-placement.js';
import { networkConfig } from '../network-config.js';
import { missingExternalNetworks, overlayCreator, overlayReadiness, subnetProblems } from '../network-checks.js';
import { sharedContainerProblems } from '../shared-container-checks.js';
import { planOverlayNetworks } from '../drivers/own-overlay/networks.js';
import { ownOverlayDriver } from '../drivers/own-overlay/driver.js';
import type { HostState, PlanOptions, Reconciler } from './context.js';

/** A new reconciler over its inputs: every field is filled, the phases then add to the plan. */
export function newReconciler(desiredIn: DesiredState, observed: ObservedState, options: PlanOptions): Reconciler {
  const desired: DesiredState = options.destroy
    ? { ...desiredIn, services: {}, networks: {}, volumes: {}, secrets: {}, configs: {} }
    : desiredIn;
  const diagnostics: Diagnostic[] = [];
  const b = new Builder();
  const hosts = usableHosts(desiredIn, observed, options, diagnostics);
  for (const [ref, why] of Object.entries(observed.digestErrors))
    diagnostics.push(
      warning(
        `image ${ref}: digest not resolved (${why}); running containers keep theirs, and a tag pushed again will not be noticed this run`,
      ),
    );
  const configs = serviceConfigs(desired, observed, options.hashKey ?? PUBLIC_TEST_KEY, diagnostics);
  const usable = new Set(hosts.keys());
  const { placement, diagnostics: placeDiags } = place(desired, observed, usable);
  diagnostics.push(...placeDiags);
  const order = serviceOrder(desired, diagnostics);
  const usableList = desiredIn.hosts.map((h) => h.name).filter((h) => usable.has(h));
  // Stack's own overlay: per network and host, only what is missing (src/plan/drivers/own-overlay/networks.ts).
  const overlay = planOverlayNetworks(desired, observed, usableList, b, diagnostics);
  diagnostics.push(
    ...overlayReadiness(desired, observed, usableList, (key) => overlay.isConsul(key)),
    ...subnetProblems(desired, observed, usableList),
    ...missingExternalNetworks(desired, observed, placement),
    ...sharedContainerProblems(desired, observed, placement),
  );
  const wanted = Object.values(desired.networks).filter((n) => !n.external);
  return {
    desiredIn,
    desired,
    observed,
    options,
    stack: desired.name,
    diagnostics,
    b,
    usableList,
    hosts,
    configs,
    placement,
    order,
    overlay,
    network: ownOverlayDriver(desired, observed, usableList, b, overlay),
    creator: overlayCreator(observed, usableList),
    keyOfNetwork: new Map(Object.values(desired.networks).map((n) => [n.name, n.key])),
    observedGlobal: globalNetworks(observed),
    wantedNets: new Map(wanted.map((n) => [n.name, { spec: n, config: networkConfig(n) }])),
    networkRemovals: new Map(),
    preRemoved: new Map(),
    createdGlobal: new Map(),
    replicas: new Map(),
    waitOps: new Map(),
    claimed: new Set(),
    rollouts: [],
  };
}

/** Hosts: only those observed without error can be planned. */
function usableHosts(
  desiredIn: DesiredState,
  observed: ObservedState,
  options: PlanOptions,
  diagnostics: Diagnostic[],
): Map<string, HostState> {
  const hosts = new Map<string, HostState>();
  for (const h of desiredIn.hosts) {
    const obs = observed.hosts[h.name];
    if (!obs) diagnostics.push(error(`host ${h.name} was not observed`, { host: h.name }));
    else if (obs.error && options.skipUnreachable)
      diagnostics.push(
        warning(
          `host ${h.name} left out: unreachable (${obs.error}); its containers were neither observed nor changed`,
          { host: h.name },
          'run again without --skip-unreachable once it is back',
        ),
      );
    else if (obs.error)
      diagnostics.push(
        error(
          `host ${h.name} is unreachable: ${obs.error}`,
          { host: h.name },
          'check the endpoint and TLS files in the inventory, or pass --skip-unreachable to leave it out',
        ),
      );
    else hosts.set(h.name, newHostState(obs));
  }
  return hosts;
}

function newHostState(obs: ObservedHost): HostState {
  return {
    obs,
    pulls: new Map(),
    networks: new Map(),
    volumes: new Map(),
    files: new Map(),
    containerRemovals: [],
    containerNames: new Set(obs.containers.map((c) => c.name)),
  };
}

/**
 * Each service's hashed config, with the registry's digest (or the running one when the registry could not be asked).
 * A service's volumes_from sources are hashed first: their hashes are part of its config.
 */
function serviceConfigs(
  desired: DesiredState,
  observed: ObservedState,
  key: HashKey,
  diagnostics: Diagnostic[],
): Map<string, ServiceConfig> {
  const configs = new Map<string, ServiceConfig>();
  const hashes = new Map<string, string>();
  const visiting = new Set<string>();
  const configOf = (s: ServiceSpec): void => {
    if (configs.has(s.name) || visiting.has(s.name)) return;
    visiting.add(s.name);
    for (const src of sourceServices(s)) if (desired.services[src]) configOf(desired.services[src]);
    const ref = normaliseImageRef(s.image);
    const digest =
      observed.digests[ref] ?? (ref in observed.digestErrors ? runningDigest(observed, s.name, ref) : undefined);
    const sc = serviceConfig(desired, s, digest, key, hashes);
    configs.set(s.name, sc);
    hashes.set(s.name, sc.hash);
    diagnostics.push(...sc.diagnostics);
    if (s.pullPolicy === 'build')
      diagnostics.push(
        warning(`service ${s.name}: pull_policy build is not supported; the image must already be on the hosts`, {
          path: `services.${s.name}.pull_policy`,
        }),
      );
  };
  for (const s of Object.values(desired.services)) configOf(s);
  return configs;
}

/**
 * When the registry could not be asked, the digest is unknown, not changed: take the one the service's
 * containers were created with (same image reference), so an unreachable registry never replaces them all.
 */
function runningDigest(observed: ObservedState, service: string, ref: string): string | undefined {
  for (const host of Object.values(observed.hosts))
    for (const c of host.containers ?? [])
      if (c.service === service && c.config?.image === ref && typeof c.config.digest === 'string')
        return c.config.digest;
  return undefined;
}

/** Services in dependency order (dependencies first), then by name. */
function serviceOrder(desired: DesiredState, diagnostics: Diagnostic[]): string[] {
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (n: string, path: string[]) => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'visiting') {
      diagnostics.push(error(`depends_on cycle: ${[...path, n].join(' → ')}`, { path: `services.${n}.depends_on` }));
      return;
    }
    state.set(n, 'visiting');
    for (const d of Object.keys(desired.services[n].dependsOn).sort()) if (desired.services[d]) visit(d, [...path, n]);
    state.set(n, 'done');
    out.push(n);
  };
  for (const n of Object.keys(desired.services).sort()) visit(n, []);
  return out;
}
