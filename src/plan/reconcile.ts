/**
 * The reconciler: a pure, synchronous function (desired, observed, options) → Plan. It makes every
 * decision; the executor only walks the DAG it returns.
 *
 * Replace invariant (enforced in `replace` below): the new container is created under a temporary
 * name → the old one is stopped → the new one is started (and waited healthy, if it has a
 * healthcheck) → only then is the old one removed → the new one is renamed. Should any of these fail,
 * the group's compensation starts the old one again and removes the new one.
 */
import type { DesiredState, NetworkSpec, ServiceSpec } from '../stack/types.js';
import type { ObservedContainer, ObservedHost, ObservedNetwork, ObservedState } from '../observe/types.js';
import { globalNetworks, isGlobal } from '../observe/networks.js';
import { error, warning, type Diagnostic } from '../errors.js';
import { Roles } from '../labels.js';
import type { Action, Compensation, FieldChange, Operation, OpKind, Plan, ResourceChange } from './types.js';
import { Builder } from './builder.js';
import {
  containerName,
  helperName,
  serviceConfig,
  temporaryName,
  type FileBundle,
  type ServiceConfig,
} from './config.js';
import {
  containerCreateBody,
  endpointConfig,
  filesVolumeBody,
  FILES_HELPER_PATH,
  helperCreateBody,
  networkCreateBody,
  splitNetworks,
  volumeCreateBody,
} from './engine.js';
import { normaliseImageRef, splitImageRef } from '../docker/image-ref.js';
import { diffConfigs } from './diff.js';
import { place, rankContainers, containersBySlot } from './placement.js';
import { networkConfig } from './network-config.js';
import { missingExternalNetworks, overlayCreator, overlayReadiness, subnetProblems } from './network-checks.js';
import { finishOverlay, planOverlayNetworks } from '../overlay/plan.js';
import { planRollout } from './rollout/plan.js';
import { keptName, type DnsEndpoint, type ReplaceRequest } from './rollout/types.js';
import type { Rollout } from './types.js';
import { healthTimeoutMs, readyGate } from './health.js';
import { nameCollisions, ownershipProblems } from './ownership-checks.js';
import { hostPortConflicts } from './host-ports.js';

export interface PlanOptions {
  /** Remove everything of the stack (containers, networks, files volumes; named volumes with pruneVolumes). */
  destroy?: boolean;
  /** Remove named volumes that are no longer in the file (or all of them with destroy). */
  pruneVolumes?: boolean;
  /** Leave out hosts that could not be observed (a warning naming each) instead of an error. */
  skipUnreachable?: boolean;
}

const ANONYMOUS_VOLUME = /^[0-9a-f]{64}$/;
/** Slot order (`2` before `10`): one collator, the same order as localeCompare(…, { numeric: true }) without building one per call. */
const bySlotNumber = new Intl.Collator(undefined, { numeric: true }).compare;

/** Per host: what exists, and the ops that create shared resources. */
interface HostState {
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
interface ReplicaRecord {
  host: string;
  name: string;
  started?: string;
  healthy?: string;
  completed?: string;
  observed?: ObservedContainer;
  /** The op after which the container has its final name. */
  final?: string;
}

/** depends_on service_healthy needs a healthcheck the file does not disable (its own test, or the image's). */
function healthcheckDisabled(s: ServiceSpec): boolean {
  return readyGate(s) === 'running';
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

/**
 * The container is created by `ref`, so the host needs that very tag (the same content under another tag is
 * not enough: create would fail with "No such image") and, when the registry's digest is known, that content.
 */
function imagePresent(obs: ObservedHost, ref: string, digest: string | undefined): boolean {
  const { repo } = splitImageRef(ref);
  const short = ref.replace(/^docker\.io\/(library\/)?/, '');
  const byDigest = ref.includes('@');
  return obs.images.some(
    (i) =>
      (byDigest || i.repoTags.includes(ref) || i.repoTags.includes(short)) &&
      (!digest || i.repoDigests.includes(`${repo}@${digest}`)),
  );
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

function shouldRun(c: ObservedContainer, restart: string): boolean {
  const exit = c.runtime?.exitCode ?? c.exitCode;
  const policy = restart.split(':')[0];
  return !(exit === 0 && (policy === 'no' || policy === 'on-failure'));
}

export function reconcile(desiredIn: DesiredState, observed: ObservedState, options: PlanOptions = {}): Plan {
  const desired: DesiredState = options.destroy
    ? { ...desiredIn, services: {}, networks: {}, volumes: {}, secrets: {}, configs: {} }
    : desiredIn;
  const stack = desired.name;
  const diagnostics: Diagnostic[] = [];
  const b = new Builder();

  // Hosts: only those observed without error can be planned.
  const usable = new Set<string>();
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
    else {
      usable.add(h.name);
      hosts.set(h.name, {
        obs,
        pulls: new Map(),
        networks: new Map(),
        volumes: new Map(),
        files: new Map(),
        containerRemovals: [],
        containerNames: new Set(obs.containers.map((c) => c.name)),
      });
    }
  }
  for (const [ref, why] of Object.entries(observed.digestErrors))
    diagnostics.push(
      warning(
        `image ${ref}: digest not resolved (${why}); running containers keep theirs, and a tag pushed again will not be noticed this run`,
      ),
    );

  // Configs and placement.
  const configs = new Map<string, ServiceConfig>();
  for (const s of Object.values(desired.services)) {
    const ref = normaliseImageRef(s.image);
    const sc = serviceConfig(
      desired,
      s,
      observed.digests[ref] ?? (ref in observed.digestErrors ? runningDigest(observed, s.name, ref) : undefined),
    );
    configs.set(s.name, sc);
    diagnostics.push(...sc.diagnostics);
    if (s.pullPolicy === 'build')
      diagnostics.push(
        warning(`service ${s.name}: pull_policy build is not supported; the image must already be on the hosts`, {
          path: `services.${s.name}.pull_policy`,
        }),
      );
  }
  const { placement, diagnostics: placeDiags } = place(desired, observed, usable);
  diagnostics.push(...placeDiags);
  const order = serviceOrder(desired, diagnostics);
  const usableList = desiredIn.hosts.map((h) => h.name).filter((h) => usable.has(h));
  // Stack's own overlay: per network and host, only what is missing (src/overlay/plan.ts).
  const overlay = planOverlayNetworks(desired, observed, usableList, b, diagnostics);
  diagnostics.push(
    ...overlayReadiness(desired, observed, usableList, overlay.isConsul),
    ...subnetProblems(desired, observed, usableList),
    ...missingExternalNetworks(desired, observed, placement),
  );
  const creator = overlayCreator(observed, usableList);
  // Networks whose names Docker's embedded DNS serves (bridge, engine overlay, external), by engine name; stack's own overlay names come from Consul.
  const keyOfNetwork = new Map(Object.values(desired.networks).map((n) => [n.name, n.key]));
  const servedByDockerDns = (net: string) => !overlay.isConsul(keyOfNetwork.get(net) ?? net);
  const observedGlobal = globalNetworks(observed);

  // Networks whose config hash changed are replaced: every container of the stack attached to one is stopped and
  // removed first (on every host, for a global network), then the network is removed and created again, then the
  // containers are created again by the service loop below. A network without a hash label is left as it is.
  const wantedNets = new Map(
    Object.values(desired.networks)
      .filter((n) => !n.external)
      .map((n) => [n.name, { spec: n, config: networkConfig(n) }]),
  );
  /** Network name → its removals (replaced networks), with the host they run on and whether the network was global. */
  const networkRemovals = new Map<string, { host: string; global: boolean; op: string }[]>();
  /** Container id → its removal, for containers removed because a network they are attached to is replaced. */
  const preRemoved = new Map<string, { op: string; networks: string[] }>();
  const replaceNetwork = (n: NetworkSpec, host: string, old: ObservedNetwork, global: boolean) => {
    const want = wantedNets.get(n.name)!.config;
    const attached = (global ? [...hosts.values()] : [hosts.get(host)!])
      .flatMap((h) => h.obs.containers)
      // Attached now, or created for it (its config label says so): a daemon's list can miss an overlay endpoint.
      .filter(
        (c) =>
          c.role !== Roles.helper &&
          (c.networks.includes(n.name) || Object.hasOwn((c.config?.networks ?? {}) as object, n.name)),
      )
      .sort((x, y) => x.host.localeCompare(y.host) || x.name.localeCompare(y.name));
    const removals: string[] = [];
    for (const c of attached) {
      const seen = preRemoved.get(c.id);
      if (seen) {
        seen.networks.push(n.name);
        removals.push(seen.op);
        continue;
      }
      const op = removeContainer(
        b,
        hosts.get(c.host),
        c,
        `service:${c.service}:${c.slot}`,
        `network ${n.name} is replaced`,
        [],
        false,
      )!;
      preRemoved.set(c.id, { op, networks: [n.name] });
      removals.push(op);
    }
    const rm = b.add(
      'network.remove',
      host,
      `remove network ${n.name}`,
      `network:${n.key}`,
      'replaced: config changed',
      removals,
      { name: n.name },
    );
    networkRemovals.set(n.name, [...(networkRemovals.get(n.name) ?? []), { host, global, op: rm }]);
    const fields = old.config
      ? diffConfigs(old.config, want.config)
      : [{ path: 'config', before: old.configHash?.slice(0, 12), after: want.hash.slice(0, 12) }];
    const names = attached.map((c) => c.name);
    b.change({
      host,
      type: 'network',
      resource: `network:${n.key}`,
      name: n.name,
      action: 'replace',
      cause: `config changed; ${names.length ? `recreates ${names.join(', ')}` : 'no container attached'}`,
      fields,
      ...(global ? { allHosts: true } : {}),
    });
  };
  for (const { spec, config } of [...wantedNets.values()].sort((x, y) => x.spec.name.localeCompare(y.spec.name))) {
    const g = observedGlobal.get(spec.name);
    if (g && g.network.configHash && g.network.configHash !== config.hash)
      replaceNetwork(spec, g.hosts[0], g.network, true);
    for (const hs of hosts.values()) {
      const local = hs.obs.networks.find((o) => o.name === spec.name && !isGlobal(o));
      if (local?.configHash && local.configHash !== config.hash) replaceNetwork(spec, hs.obs.name, local, false);
    }
  }
  /** Is network `name` on `host` (or the global one) being removed as part of a replace? */
  const replacedHere = (name: string, host: string, global: boolean) =>
    (networkRemovals.get(name) ?? []).some((r) => (global ? r.global : r.host === host && !r.global));
  /** What creating network `name` on `host` must wait for: removals of a network of that name there (or global). */
  const removalsBefore = (name: string, host: string) =>
    (networkRemovals.get(name) ?? []).filter((r) => r.global || r.host === host).map((r) => r.op);

  // Shared resources, created on demand.
  const createdGlobal = new Map<string, string | null>();
  const ensurePull = (host: string, s: ServiceSpec): string | undefined => {
    const hs = hosts.get(host)!;
    const ref = normaliseImageRef(s.image);
    if (hs.pulls.has(ref)) return hs.pulls.get(ref) ?? undefined;
    const digest = observed.digests[ref];
    const present = imagePresent(hs.obs, ref, digest);
    let id: string | null = null;
    if (s.pullPolicy === 'always' || (s.pullPolicy === 'missing' && !present)) {
      id = b.add(
        'image.pull',
        host,
        `pull ${ref}`,
        `image:${ref}`,
        present ? 'pull_policy always' : digest ? `not present (${digest.slice(0, 19)})` : 'not present',
        [],
        { image: ref },
      );
      b.change({
        host,
        type: 'image',
        resource: `image:${ref}`,
        name: ref,
        action: 'create',
        cause: present ? 'pull_policy always' : 'not present on host',
      });
    } else if (!present) {
      diagnostics.push(
        error(`image ${ref} is not present on host ${host} and pull_policy is ${s.pullPolicy}`, {
          host,
          path: `services.${s.name}.image`,
        }),
      );
    }
    hs.pulls.set(ref, id);
    return id ?? undefined;
  };
  const ensureNetwork = (host: string, key: string): string | undefined => {
    const n = desired.networks[key];
    if (!n || n.external) return undefined;
    const hs = hosts.get(host)!;
    if (overlay.isConsul(key)) return overlay.ready(host, key);
    if (n.driver === 'overlay') {
      // Global scope (cluster store): created once, through one host chosen deterministically; every host sees it.
      if (createdGlobal.has(n.name)) return createdGlobal.get(n.name) ?? undefined;
      const through = creator ?? host;
      const replaced = replacedHere(n.name, through, true);
      const exists = observedGlobal.has(n.name) && !replaced;
      let id: string | null = null;
      if (!exists) {
        id = b.add(
          'network.create',
          through,
          `create network ${n.name}`,
          `network:${key}`,
          replaced ? 'replacement (config changed)' : 'not present (overlay: created once, every host sees it)',
          removalsBefore(n.name, through),
          {
            body: networkCreateBody(stack, n, observed.owner),
          },
        );
        if (!replaced)
          b.change({
            host: through,
            type: 'network',
            resource: `network:${key}`,
            name: n.name,
            action: 'create',
            cause: `not present (overlay through ${through}, spans all hosts)`,
            allHosts: true,
          });
      }
      createdGlobal.set(n.name, id);
      return id ?? undefined;
    }
    if (hs.networks.has(key)) return hs.networks.get(key) ?? undefined;
    let id: string | null = null;
    const replaced = removalsBefore(n.name, host);
    if (replaced.length || !hs.obs.networks.some((o) => o.name === n.name)) {
      id = b.add(
        'network.create',
        host,
        `create network ${n.name}`,
        `network:${key}`,
        replaced.length ? 'replacement (config changed)' : 'not present',
        replaced,
        { body: networkCreateBody(stack, n, observed.owner) },
      );
      if (!replacedHere(n.name, host, false))
        b.change({
          host,
          type: 'network',
          resource: `network:${key}`,
          name: n.name,
          action: 'create',
          cause: 'not present',
        });
    }
    hs.networks.set(key, id);
    return id ?? undefined;
  };
  const ensureVolume = (host: string, key: string): string | undefined => {
    const v = desired.volumes[key];
    if (!v || v.external) return undefined;
    const hs = hosts.get(host)!;
    if (hs.volumes.has(key)) return hs.volumes.get(key) ?? undefined;
    let id: string | null = null;
    if (!hs.obs.volumes.some((o) => o.name === v.name)) {
      id = b.add('volume.create', host, `create volume ${v.name}`, `volume:${key}`, 'not present', [], {
        body: volumeCreateBody(stack, v, observed.owner),
      });
      b.change({
        host,
        type: 'volume',
        resource: `volume:${key}`,
        name: v.name,
        action: 'create',
        cause: 'not present',
      });
    }
    hs.volumes.set(key, id);
    return id ?? undefined;
  };
  const ensureFiles = (
    host: string,
    s: ServiceSpec,
    bundle: FileBundle,
    pull: string | undefined,
  ): string | undefined => {
    const hs = hosts.get(host)!;
    if (hs.files.has(bundle.volume)) return hs.files.get(bundle.volume) ?? undefined;
    let id: string | null = null;
    if (!hs.obs.volumes.some((o) => o.name === bundle.volume)) {
      const resource = `files:${bundle.hash.slice(0, 12)}`;
      const helper = helperName(bundle.volume);
      const stale = hs.obs.containers.find((c) => c.name === helper);
      const staleRm = stale
        ? b.add('container.remove', host, `remove ${helper}`, resource, 'left over from an interrupted apply', [], {
            name: helper,
            force: true,
            volumes: false,
          })
        : undefined;
      const vol = b.add('volume.create', host, `create volume ${bundle.volume}`, resource, `files for ${s.name}`, [], {
        body: filesVolumeBody(stack, bundle, observed.owner),
      });
      const hc = b.add(
        'container.create',
        host,
        `create ${helper}`,
        resource,
        'helper to fill the files volume',
        [vol, pull, staleRm],
        {
          name: helper,
          body: helperCreateBody(stack, normaliseImageRef(s.image), bundle, observed.owner),
        },
      );
      const put = b.add(
        'archive.put',
        host,
        `fill ${bundle.volume}`,
        resource,
        `${bundle.files.length} file(s) into ${bundle.dir}`,
        [hc],
        {
          container: helper,
          path: FILES_HELPER_PATH,
          files: bundle.files.map(({ contentHash: _h, ...f }) => f),
        },
      );
      id = b.add('container.remove', host, `remove ${helper}`, resource, 'helper done', [put], {
        name: helper,
        force: true,
        volumes: false,
      });
      b.change({
        host,
        type: 'volume',
        resource,
        name: bundle.volume,
        action: 'create',
        cause: `secrets/configs for ${bundle.dir} (${bundle.files.map((f) => f.ref).join(', ')})`,
      });
    }
    hs.files.set(bundle.volume, id);
    return id ?? undefined;
  };

  const replicas = new Map<string, ReplicaRecord[]>();
  const waitOps = new Map<string, string | undefined>();
  /** The ops a dependent's start must wait for, for one dependency. */
  const gates = (s: ServiceSpec): string[] => {
    const out: string[] = [];
    for (const [dep, cond] of Object.entries(s.dependsOn).sort(([a], [b2]) => a.localeCompare(b2))) {
      const ds = desired.services[dep];
      if (!ds) {
        if (cond.required)
          diagnostics.push(
            error(`service ${s.name} depends on ${dep}, which is not defined`, {
              path: `services.${s.name}.depends_on`,
            }),
          );
        continue;
      }
      if (cond.condition === 'service_healthy' && healthcheckDisabled(ds)) {
        diagnostics.push(
          error(`service ${s.name} waits for ${dep} to be healthy, but ${dep}'s healthcheck is disabled`, {
            path: `services.${s.name}.depends_on.${dep}`,
          }),
        );
        continue;
      }
      for (const r of replicas.get(dep) ?? []) {
        if (cond.condition === 'service_started') {
          if (r.started) out.push(r.started);
        } else if (cond.condition === 'service_healthy') {
          if (r.healthy) out.push(r.healthy);
          else if (!r.started && r.observed?.health === 'healthy') continue;
          else {
            const key = `healthy ${r.host} ${r.name}`;
            if (!waitOps.has(key))
              waitOps.set(
                key,
                b.add(
                  'container.wait-healthy',
                  r.host,
                  `wait healthy ${r.name}`,
                  `service:${dep}`,
                  `${s.name} depends on it (service_healthy)`,
                  [r.final ?? r.started],
                  {
                    name: r.name,
                    timeoutMs: healthTimeoutMs(ds.healthcheck),
                    ...(readyGate(ds) === 'healthy-or-running' ? { healthcheckFrom: 'container' } : {}),
                  },
                ),
              );
            out.push(waitOps.get(key)!);
          }
        } else {
          if (!r.started && r.observed?.state === 'exited' && r.observed.exitCode === 0) continue;
          const key = `exit ${r.host} ${r.name}`;
          if (!waitOps.has(key))
            waitOps.set(
              key,
              b.add(
                'container.wait-exit',
                r.host,
                `wait exit ${r.name}`,
                `service:${dep}`,
                `${s.name} depends on it (service_completed_successfully)`,
                [r.final ?? r.started],
                { name: r.name, timeoutMs: 600_000 },
              ),
            );
          out.push(waitOps.get(key)!);
        }
      }
    }
    return out;
  };

  const bySlot = containersBySlot(observed);
  const claimed = new Set<string>();
  const rollouts: Rollout[] = [];
  const add = b.add.bind(b);

  for (const name of order) {
    const s = desired.services[name];
    const sc = configs.get(name)!;
    const records: ReplicaRecord[] = [];
    replicas.set(name, records);
    let gateCache: string[] | undefined;
    /** Computed on first use: a dependent with nothing to start waits for nothing. */
    const depGates = () => (gateCache ??= gates(s));
    const replaces: ReplaceRequest[] = [];
    const slots = Object.entries(placement[name] ?? {}).sort(([a], [b2]) => bySlotNumber(a, b2));
    for (const [slot, host] of slots) {
      const final = containerName(stack, s, slot);
      const tmp = temporaryName(final);
      const resource = `service:${name}:${slot}`;
      const candidates = rankContainers((bySlot.get(name)?.get(slot) ?? []).filter((c) => c.name !== tmp));
      const current = candidates.find((c) => c.host === host && c.name === final);
      const elsewhere = candidates.find((c) => c.host !== host);
      if (current) claimed.add(current.id);
      const hs = hosts.get(host)!;

      // What a new container needs first on this host.
      const prerequisites = (): (string | undefined)[] => {
        const pull = ensurePull(host, s);
        const deps: (string | undefined)[] = [pull];
        for (const key of Object.keys(s.networks)) deps.push(ensureNetwork(host, key));
        for (const m of s.mounts) if (m.type === 'volume' && m.source) deps.push(ensureVolume(host, m.source));
        for (const bundle of sc.bundles) deps.push(ensureFiles(host, s, bundle, pull));
        const staleTmp = hs.obs.containers.find((c) => c.name === tmp);
        if (staleTmp) {
          claimed.add(staleTmp.id);
          const rm = b.add(
            'container.remove',
            host,
            `remove ${tmp}`,
            resource,
            'left over from an interrupted replace',
            [],
            { name: tmp, force: true, volumes: false },
          );
          hs.containerRemovals.push(rm);
          deps.push(rm);
        }
        const staleKept = hs.obs.containers.find((c) => c.name === keptName(final));
        if (staleKept && !claimed.has(staleKept.id)) {
          claimed.add(staleKept.id);
          const rm = b.add(
            'container.remove',
            host,
            `remove ${staleKept.name}`,
            resource,
            'previous version kept by an unfinished rollout',
            [],
            { name: staleKept.name, force: true, volumes: false },
          );
          hs.containerRemovals.push(rm);
          b.change({
            host,
            type: 'container',
            resource,
            service: name,
            name: staleKept.name,
            action: 'delete',
            cause: 'kept by an unfinished rollout',
          });
          deps.push(rm);
        }
        return deps;
      };
      const createAndConnect = (
        cname: string,
        deps: (string | undefined)[],
        carried: Record<string, string> | undefined,
        group?: string,
        cause?: string,
        extra?: { rollout: string },
        withoutAliases = false,
      ): { first: string; last: string } => {
        const body = containerCreateBody(sc.config, {
          stack,
          service: name,
          slot,
          hash: sc.hash,
          json: sc.json,
          bundles: sc.bundles,
          carried,
          owner: observed.owner,
        });
        // start-first: not in the service's names until it is ready (src/plan/rollout.ts admits it).
        const endpoint = (net: string, e: Record<string, unknown>) =>
          withoutAliases && servedByDockerDns(net) ? { ...e, Aliases: [] } : e;
        const firstEndpoints = (
          body.NetworkingConfig as { EndpointsConfig?: Record<string, Record<string, unknown>> } | undefined
        )?.EndpointsConfig;
        for (const net of Object.keys(firstEndpoints ?? {})) firstEndpoints![net] = endpoint(net, firstEndpoints![net]);
        const first = b.add(
          'container.create',
          host,
          `create ${cname}`,
          resource,
          cause ?? (group ? 'replacement (temporary name)' : 'new replica'),
          deps,
          { name: cname, body },
          group,
          extra,
        );
        let last = first;
        for (const [net, cfg] of splitNetworks(sc.config).rest)
          last = b.add(
            'network.connect',
            host,
            `connect ${cname} ${net}`,
            resource,
            'the API takes one network at create',
            [last],
            {
              network: net,
              container: cname,
              body: { Container: cname, EndpointConfig: endpoint(net, endpointConfig(cfg as Record<string, unknown>)) },
            },
            group,
            extra,
          );
        return { first, last };
      };

      if (current && preRemoved.has(current.id)) {
        // Recreated with a replaced network: the old one is already removed (before the network), so no temporary name.
        const gone = preRemoved.get(current.id)!;
        const carried: Record<string, string> = {};
        for (const m of current.mounts)
          if (m.type === 'volume' && m.name && ANONYMOUS_VOLUME.test(m.name)) carried[m.destination] = m.name;
        const created = createAndConnect(
          final,
          [...prerequisites(), gone.op],
          carried,
          undefined,
          `recreated with network ${gone.networks.join(', ')}`,
        ).last;
        const started = b.add(
          'container.start',
          host,
          `start ${final}`,
          resource,
          `recreated with network ${gone.networks.join(', ')}`,
          [created, ...depGates()],
          { name: final },
        );
        records.push({ host, name: final, started, final: started });
        const fields =
          current.configHash === sc.hash
            ? []
            : current.config
              ? diffConfigs(current.config, sc.config)
              : [{ path: 'config', before: current.configHash?.slice(0, 12), after: sc.hash.slice(0, 12) }];
        b.change({
          host,
          type: 'container',
          resource,
          service: name,
          name: final,
          action: 'replace',
          cause: `network ${gone.networks.join(', ')} replaced`,
          fields,
        });
        for (const c of candidates.filter((c) => c.id !== current.id)) {
          claimed.add(c.id);
          if (
            preRemoved.has(c.id) ||
            removeContainer(b, hosts.get(c.host), c, resource, 'duplicate of the replica', [], !!options.pruneVolumes)
          )
            b.change({
              host: c.host,
              type: 'container',
              resource,
              service: name,
              name: c.name,
              action: 'delete',
              cause: 'duplicate',
            });
        }
        continue;
      }

      if (!current) {
        // A new replica (or one moving here from a host that is no longer eligible).
        const created = createAndConnect(final, prerequisites(), undefined).last;
        const started = b.add(
          'container.start',
          host,
          `start ${final}`,
          resource,
          'new replica',
          [created, ...depGates()],
          { name: final },
        );
        const rec: ReplicaRecord = { host, name: final, started, final: started };
        records.push(rec);
        b.change({
          host,
          type: 'container',
          resource,
          service: name,
          name: final,
          action: 'create',
          cause: elsewhere ? `moved from ${elsewhere.host}` : 'new replica',
        });
        if (elsewhere) {
          for (const c of candidates.filter((c) => c.host !== host)) {
            claimed.add(c.id);
            const removal =
              preRemoved.get(c.id)?.op ??
              removeContainer(b, hosts.get(c.host), c, resource, `moved to ${host}`, [started], !!options.pruneVolumes);
            if (removal)
              b.change({
                host: c.host,
                type: 'container',
                resource,
                service: name,
                name: c.name,
                action: 'delete',
                cause: `moved to ${host}`,
              });
          }
        }
        continue;
      }

      if (current.configHash !== sc.hash) {
        // Replace: batched by the service's rollout (src/plan/rollout.ts), planned after every slot is known.
        const fields = current.config
          ? diffConfigs(current.config, sc.config)
          : [{ path: 'config', before: current.configHash?.slice(0, 12), after: sc.hash.slice(0, 12) }];
        const carried: Record<string, string> = {};
        for (const m of current.mounts)
          if (m.type === 'volume' && m.name && ANONYMOUS_VOLUME.test(m.name)) carried[m.destination] = m.name;
        const deps = prerequisites();
        const dnsEndpoints = (networks: Record<string, unknown>): DnsEndpoint[] =>
          Object.entries(networks)
            .filter(([net]) => servedByDockerDns(net))
            .map(([network, cfg]) => ({ network, endpoint: endpointConfig(cfg as Record<string, unknown>) }));
        const previousDns = current.config?.networks
          ? dnsEndpoints(current.config.networks as Record<string, unknown>)
          : current.networks.filter(servedByDockerDns).map((network) => ({ network, endpoint: { Aliases: [name] } }));
        replaces.push({
          slot,
          host,
          final,
          temporary: tmp,
          resource,
          create: (group, extra, opts) =>
            createAndConnect(tmp, deps, carried, group, undefined, extra, opts?.withoutAliases),
          dns: dnsEndpoints((sc.config.networks as Record<string, unknown>) ?? {}),
          previousDns,
          startGates: depGates(),
        });
        b.change({
          host,
          type: 'container',
          resource,
          service: name,
          name: final,
          action: 'replace',
          cause: current.config ? 'config changed' : 'config hash changed',
          fields,
        });
      } else {
        // Unchanged config: only drift the list or --refresh shows.
        const rec: ReplicaRecord = { host, name: final, observed: current };
        const fields: FieldChange[] = [];
        const causes: string[] = [];
        let last: string | undefined;
        const rt = current.runtime;
        // A replace or rollback interrupted on this slot (a temporary or kept container is left): what the list
        // shows is enough to see that the replica is stopped or off a network, so no --refresh is needed for it.
        const interrupted = hs.containerNames.has(tmp) || hs.containerNames.has(keptName(final));
        const attached = rt?.networks ?? (interrupted ? current.networks : undefined);
        const why = (what: string) => (rt ? `${what} outside stack` : `${what} by an interrupted run`);
        if (rt) {
          const wantRestart = String(sc.config.restart ?? 'no');
          const [wName, wRetries] = wantRestart.split(':');
          const haveRestart =
            rt.restartPolicy.name === 'on-failure' && rt.restartPolicy.maximumRetryCount > 0
              ? `on-failure:${rt.restartPolicy.maximumRetryCount}`
              : rt.restartPolicy.name || 'no';
          if (haveRestart !== wantRestart) {
            last = b.add(
              'container.update',
              host,
              `update ${final}`,
              resource,
              'restart policy changed outside stack',
              [],
              { name: final, body: { RestartPolicy: { Name: wName, MaximumRetryCount: Number(wRetries ?? 0) } } },
            );
            fields.push({ path: 'restart', before: haveRestart, after: wantRestart });
            causes.push('restart policy changed outside stack');
          }
        }
        if (attached) {
          for (const [net, cfg] of Object.entries(
            (sc.config.networks as Record<string, Record<string, unknown>>) ?? {},
          )) {
            if (attached.includes(net)) continue;
            last = b.add(
              'network.connect',
              host,
              `connect ${final} ${net}`,
              resource,
              why('disconnected'),
              [
                last,
                ensureNetwork(host, Object.keys(desired.networks).find((k) => desired.networks[k].name === net) ?? net),
              ],
              { network: net, container: final, body: { Container: final, EndpointConfig: endpointConfig(cfg) } },
            );
            fields.push({ path: `networks.${net}`, before: '(disconnected)', after: '(connected)' });
            causes.push(why('network disconnected'));
          }
        }
        // Stopped replicas show in the list (state exited): started again, as `compose up` does, unless the
        // replica completed (exit 0 under restart no/on-failure). One stopped by an interrupted replace or rollback
        // of this slot is started whatever its exit code (stack stopped it; a TERM handler exits 0). --refresh adds
        // what only an inspect shows.
        const stopped = rt ? !rt.running && current.state !== 'paused' : current.state === 'exited';
        const mustStart =
          current.state === 'created' ||
          (stopped && (interrupted || shouldRun(current, String(sc.config.restart ?? 'no'))));
        if (mustStart) {
          const cause =
            current.state === 'created'
              ? 'created but never started'
              : rt || interrupted
                ? why('stopped')
                : `stopped (exit ${current.exitCode ?? '?'})`;
          rec.started = b.add('container.start', host, `start ${final}`, resource, cause, [last, ...depGates()], {
            name: final,
          });
          rec.final = rec.started;
          fields.push({
            path: 'state',
            before: rt && !rt.running ? `exited (${rt.exitCode})` : current.state,
            after: 'running',
          });
          causes.push(cause);
        }
        if (causes.length)
          b.change({
            host,
            type: 'container',
            resource,
            service: name,
            name: final,
            action: 'update',
            cause: causes.join('; '),
            fields,
          });
        records.push(rec);
        for (const c of candidates.filter((c) => c.id !== current.id)) {
          claimed.add(c.id);
          const why =
            c.role === Roles.kept ? 'previous version kept by an unfinished rollout' : 'duplicate of the replica';
          if (
            preRemoved.has(c.id) ||
            removeContainer(b, hosts.get(c.host), c, resource, why, [], !!options.pruneVolumes)
          )
            b.change({
              host: c.host,
              type: 'container',
              resource,
              service: name,
              name: c.name,
              action: 'delete',
              cause: c.role === Roles.kept ? 'kept by an unfinished rollout' : 'duplicate',
            });
        }
      }
    }
    if (replaces.length) {
      const planned = planRollout(add, s, replaces, {
        gate: readyGate(s),
        healthTimeoutMs: healthTimeoutMs(s.healthcheck),
        hostOffset: rollouts.length,
      });
      rollouts.push(planned.rollout);
      b.compensations.push(...planned.compensations);
      diagnostics.push(...planned.diagnostics);
      for (const r of planned.removals) hosts.get(r.host)!.containerRemovals.push(r.id);
      records.push(...planned.replicas);
    }
  }

  // Containers nobody claimed: services removed, scaled down, hosts no longer eligible, helpers.
  for (const hs of hosts.values()) {
    for (const c of [...hs.obs.containers].sort((x, y) => x.name.localeCompare(y.name))) {
      if (claimed.has(c.id)) continue;
      const s = desired.services[c.service];
      const cause = options.destroy
        ? 'destroy'
        : c.role === Roles.helper
          ? 'helper left over'
          : !s
            ? 'service removed from the file'
            : c.name.endsWith('_next')
              ? 'left over from an interrupted replace'
              : placement[c.service]?.[c.slot]
                ? 'duplicate'
                : s.deploy.mode === 'global'
                  ? 'host no longer eligible'
                  : 'scaled down';
      const resource = `service:${c.service}:${c.slot}`;
      // Already removed before a replaced network: only the change is left to show.
      if (preRemoved.has(c.id)) {
        b.change({
          host: hs.obs.name,
          type: 'container',
          resource,
          service: c.service,
          name: c.name,
          action: 'delete',
          cause,
        });
        continue;
      }
      if (hs.containerRemovals.some((id) => b.nameOf(id) === c.name)) continue;
      if (c.role === Roles.helper && [...hs.files.values()].some((id) => id && b.nameOf(id) === c.name)) continue;
      if (removeContainer(b, hs, c, resource, cause, [], !!options.pruneVolumes) && c.role !== Roles.helper)
        b.change({
          host: hs.obs.name,
          type: 'container',
          resource,
          service: c.service,
          name: c.name,
          action: 'delete',
          cause,
        });
    }
  }

  // A replaced network that no container uses any more is still created again.
  for (const { op } of [...networkRemovals.values()].flat()) {
    const name = b.nameOf(op)!;
    ensureNetwork(b.byId.get(op)!.host, wantedNets.get(name)!.spec.key);
  }

  // Networks and volumes no longer wanted; after every container removal on the host (all hosts for a global one,
  // which is removed once, through the first host that lists it).
  const allRemovals = [...hosts.values()].flatMap((h) => h.containerRemovals);
  const wantedName = (name: string) => Object.values(desired.networks).some((d) => d.name === name);
  const desiredVolumeNames = new Set(Object.values(desired.volumes).map((d) => d.name));
  for (const [name, { network: n, hosts: seenOn }] of observedGlobal) {
    if (wantedName(name) || !n.key || !hosts.has(seenOn[0])) continue;
    const cause = options.destroy ? 'destroy' : 'no longer in the file';
    b.add('network.remove', seenOn[0], `remove network ${name}`, `network:${n.key}`, cause, allRemovals, { name });
    b.change({
      host: seenOn[0],
      type: 'network',
      resource: `network:${n.key}`,
      name,
      action: 'delete',
      cause,
      allHosts: true,
    });
  }
  for (const hs of hosts.values()) {
    const host = hs.obs.name;
    for (const n of [...hs.obs.networks].sort((x, y) => x.name.localeCompare(y.name))) {
      if (isGlobal(n) || wantedName(n.name) || !n.key) continue;
      b.add(
        'network.remove',
        host,
        `remove network ${n.name}`,
        `network:${n.key}`,
        options.destroy ? 'destroy' : 'no longer in the file',
        hs.containerRemovals,
        { name: n.name },
      );
      b.change({
        host,
        type: 'network',
        resource: `network:${n.key}`,
        name: n.name,
        action: 'delete',
        cause: options.destroy ? 'destroy' : 'no longer in the file',
      });
    }
    const neededFiles = new Set<string>();
    for (const [svc, slots] of Object.entries(placement))
      for (const h of Object.values(slots))
        if (h === host) for (const bundle of configs.get(svc)?.bundles ?? []) neededFiles.add(bundle.volume);
    for (const v of [...hs.obs.volumes].sort((x, y) => x.name.localeCompare(y.name))) {
      let cause: string | undefined;
      if (v.contentHash && !neededFiles.has(v.name))
        cause = options.destroy ? 'destroy' : 'no container uses these files any more';
      else if (v.key && options.pruneVolumes && !desiredVolumeNames.has(v.name))
        cause = options.destroy ? 'destroy --prune-volumes' : 'no longer in the file (--prune-volumes)';
      if (!cause) continue;
      const resource = v.contentHash ? `files:${v.contentHash.slice(0, 12)}` : `volume:${v.key}`;
      b.add('volume.remove', host, `remove volume ${v.name}`, resource, cause, hs.containerRemovals, { name: v.name });
      b.change({ host, type: 'volume', resource, name: v.name, action: 'delete', cause });
    }
    if (!options.pruneVolumes)
      for (const v of hs.obs.volumes)
        if (v.key && !desiredVolumeNames.has(v.name))
          diagnostics.push(
            warning(
              `volume ${v.name} on ${host} is no longer ${options.destroy ? 'needed' : 'in the file'} and is kept`,
              { host },
              'pass --prune-volumes to remove it',
            ),
          );
  }

  finishOverlay(desired, observed, usableList, b, overlay, rollouts);
  // Objects that are not the stack identity's own are never touched: a plan that would meet one is refused.
  diagnostics.push(
    ...ownershipProblems(desired, observed, usableList),
    ...nameCollisions(desired, observed, b.ops),
    ...hostPortConflicts(desired, observed, b.ops),
  );

  return {
    stack,
    hosts: desiredIn.hosts.map((h) => h.name),
    ...(overlay.choices.length ? { overlay: overlay.choices } : {}),
    changes: b.changes,
    operations: b.ops,
    compensations: b.compensations,
    diagnostics,
    placement,
    rollouts,
  };
}

/** Stop (gracefully, when running) then remove a container; returns the remove op id. */
function removeContainer(
  b: Builder,
  hs: HostState | undefined,
  c: ObservedContainer,
  resource: string,
  cause: string,
  deps: string[],
  volumes: boolean,
): string | undefined {
  if (!hs) return undefined;
  const running = c.state === 'running' || c.state === 'restarting' || c.state === 'paused';
  const stop =
    running && c.role !== Roles.helper
      ? b.add('container.stop', c.host, `stop ${c.name}`, resource, cause, deps, { name: c.name })
      : undefined;
  const rm = b.add('container.remove', c.host, `remove ${c.name}`, resource, cause, stop ? [stop] : deps, {
    name: c.name,
    force: true,
    volumes,
  });
  hs.containerRemovals.push(rm);
  return rm;
}

export function countChanges(plan: Plan): Record<Action, number> {
  const counts: Record<Action, number> = { create: 0, update: 0, delete: 0, replace: 0 };
  for (const c of plan.changes) if (c.type !== 'image') counts[c.action]++;
  return counts;
}
