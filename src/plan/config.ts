/**
 * The one config hash, defined once. A service's container config is normalised (defaults filled in,
 * names resolved, key order irrelevant, the image digest included) into a plain object; its canonical
 * JSON is hashed, written into labels at create time and recomputed by the planner, so the two can
 * never disagree. Replicas, placement, depends_on, update/rollback config and pull_policy are left out.
 *
 * The label holds no value that may be sensitive (issue 14): the environment is there as a keyed HMAC per variable
 * and secret and config contents as keyed HMACs of their bytes (the stack's hash key, src/sensitive.ts), so a change
 * is still detected exactly and named, while a reader of labels learns nothing of the values. The create body takes
 * the environment from ServiceConfig.environment, sensitive values wrapped (Sensitive), never from the label form.
 */
import { posix } from 'node:path';
import type { DesiredState, ServiceNetworkSpec, ServiceSpec, RestartPolicySpec } from '../stack/types.js';
import { warning, type Diagnostic } from '../errors.js';
import { canonicalJson, prune, sha256 } from './canonical.js';
import { normaliseImageRef } from '../docker/image-ref.js';
import { keyedHash, Sensitive, type HashKey } from '../sensitive.js';
import { collate } from '../collate.js';

/** One file in a files volume. */
export interface BundleFile {
  name: string;
  /** `secret:KEY` or `config:KEY`: where the executor takes the bytes from. */
  ref: string;
  mode: number;
  uid: number;
  gid: number;
  /** Keyed HMAC of the content (`hmac:…`), never its plain hash. */
  contentHash: string;
}

/** The secrets and configs a service mounts under one directory: one read-only volume per content hash. */
export interface FileBundle {
  dir: string;
  hash: string;
  volume: string;
  files: BundleFile[];
}

/** The hashed, normalised container config: plain JSON, keys sorted, empty values dropped. */
export type ContainerConfig = Record<string, unknown>;

/** A service's environment for the create body: sensitive values wrapped, so nothing prints them. */
export type EnvironmentValues = Record<string, string | Sensitive>;

export interface ServiceConfig {
  /** The label form: hashed, written into the config label, compared with what a container's label holds. */
  config: ContainerConfig;
  /** The environment the container gets (the label form has only HMACs of it). */
  environment: EnvironmentValues;
  hash: string;
  /** Canonical JSON of config (what the config label holds). */
  json: string;
  bundles: FileBundle[];
  diagnostics: Diagnostic[];
}

export function containerName(stack: string, service: ServiceSpec, slot: string): string {
  return service.containerName ?? `${stack}-${service.name}-${slot}`;
}

export function temporaryName(name: string): string {
  return `${name}_next`;
}

export function filesVolumeName(stack: string, hash: string): string {
  return `${stack}_files_${hash.slice(0, 12)}`;
}

export function helperName(volume: string): string {
  return `${volume}_fill`;
}

/** Maps deploy.restart_policy onto the Engine's policy where it can; warns about what it cannot carry. */
export function engineRestartPolicy(service: ServiceSpec): { policy: RestartPolicySpec; diagnostics: Diagnostic[] } {
  const rp = service.deploy.restartPolicy;
  if (!rp) return { policy: service.restart, diagnostics: [] };
  const diagnostics: Diagnostic[] = [];
  const policy: RestartPolicySpec =
    rp.condition === 'none'
      ? { name: 'no', maximumRetryCount: 0 }
      : rp.condition === 'on-failure'
        ? { name: 'on-failure', maximumRetryCount: rp.maxAttempts ?? 0 }
        : { name: 'always', maximumRetryCount: 0 };
  if (rp.condition === 'any' && rp.maxAttempts)
    diagnostics.push(
      warning(`deploy.restart_policy.max_attempts is ignored with condition any: the Engine restarts always`, {
        path: `services.${service.name}.deploy.restart_policy`,
      }),
    );
  for (const [field, v] of [
    ['delay', rp.delayNs],
    ['window', rp.windowNs],
  ] as const)
    if (v !== undefined)
      diagnostics.push(
        warning(
          `deploy.restart_policy.${field} cannot be passed to the Engine and is ignored`,
          { path: `services.${service.name}.deploy.restart_policy.${field}` },
          'the Engine restarts with its own back-off (100ms doubling, reset after 10s up)',
        ),
      );
  return { policy, diagnostics };
}

function restartText(p: RestartPolicySpec): string {
  return p.name === 'on-failure' && p.maximumRetryCount > 0 ? `on-failure:${p.maximumRetryCount}` : p.name;
}

/** A grant's mode: as written, else 0400 for a secret and 0444 for a config (as the compose spec says). */
export function grantMode(kind: 'secret' | 'config', mode: number | undefined): number {
  return mode ?? (kind === 'secret' ? 0o400 : 0o444);
}

function parseId(v: string | undefined): number {
  const n = Number(v ?? 0);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

/** Groups a service's secrets and configs by target directory into content-addressed bundles. */
export function fileBundles(
  desired: DesiredState,
  service: ServiceSpec,
  key: HashKey,
): { bundles: FileBundle[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const byDir = new Map<string, BundleFile[]>();
  const grants = [
    ...service.secrets.map((g) => ({ g, kind: 'secret' as const, obj: desired.secrets[g.source] })),
    ...service.configs.map((g) => ({ g, kind: 'config' as const, obj: desired.configs[g.source] })),
  ];
  for (const { g, kind, obj } of grants) {
    const where = { path: `services.${service.name}.${kind}s` };
    if (!obj) {
      diagnostics.push({ severity: 'error', summary: `${kind} ${g.source} is not defined`, where });
      continue;
    }
    const contentHash = contentHmac(key, obj);
    if (obj.external || !contentHash) {
      diagnostics.push({
        severity: 'error',
        summary: `${kind} ${g.source} is external; stack can only deliver ${kind}s whose content it has`,
        where,
      });
      continue;
    }
    const dir = posix.dirname(g.target);
    if (dir === '/') {
      diagnostics.push({
        severity: 'error',
        summary: `${kind} ${g.source}: target ${g.target} is in /, which cannot hold a volume`,
        where,
        hint: `set target to a path in a directory, e.g. /etc/${posix.basename(g.target)}`,
      });
      continue;
    }
    const files = byDir.get(dir) ?? [];
    files.push({
      name: posix.basename(g.target),
      ref: `${kind}:${g.source}`,
      mode: grantMode(kind, g.mode),
      uid: parseId(g.uid),
      gid: parseId(g.gid),
      contentHash,
    });
    byDir.set(dir, files);
  }
  const bundles = [...byDir.entries()]
    .sort(([a], [b]) => collate(a, b))
    .map(([dir, files]) => {
      files.sort((a, b) => collate(a.name, b.name));
      const hash = sha256(canonicalJson(files.map(({ ref: _ref, ...f }) => f)));
      return { dir, hash, volume: filesVolumeName(desired.name, hash), files };
    });
  return { bundles, diagnostics };
}

/** What a label or a revision carries of a secret's or config's content: its keyed HMAC. */
export function contentHmac(key: HashKey, obj: { content?: Buffer; contentHash?: string }): string | undefined {
  if (obj.content) return keyedHash(key, obj.content);
  return obj.contentHash ? keyedHash(key, obj.contentHash) : undefined;
}

/** What a label or a revision carries of one environment variable: the keyed HMAC of `NAME=value`. */
export function environmentHmac(key: HashKey, name: string, value: string): string {
  return keyedHash(key, `${name}=${value}`);
}

/** The environment as the label holds it (name → keyed HMAC) and as the container gets it (sensitive values wrapped). */
export function environmentForms(
  service: ServiceSpec,
  key: HashKey,
): { hashed: Record<string, string>; values: EnvironmentValues } {
  const sensitive = new Set(service.sensitive ?? []);
  const hashed: Record<string, string> = {};
  const values: EnvironmentValues = {};
  for (const [name, value] of Object.entries(service.environment)) {
    hashed[name] = environmentHmac(key, name, value);
    values[name] = sensitive.has(name) ? Sensitive.of(value) : value;
  }
  return { hashed, values };
}

const sortStrings = (xs: readonly string[]): string[] => [...xs].sort();

/** Networks every daemon has (used as external networks); they take no aliases. */
export const PREDEFINED_NETWORKS: ReadonlySet<string> = new Set(['bridge', 'host', 'none']);

/** A secret or config grant as the config holds it: its target, mode and owner, and the keyed HMAC of its content. */
function grantEntry(desired: DesiredState, key: HashKey, kind: 'secret' | 'config') {
  return (g: ServiceSpec['secrets'][number]) => {
    const obj = kind === 'secret' ? desired.secrets[g.source] : desired.configs[g.source];
    const content = obj && contentHmac(key, obj);
    return [
      g.source,
      { target: g.target, mode: grantMode(kind, g.mode), uid: parseId(g.uid), gid: parseId(g.gid), content },
    ] as const;
  };
}

/** Capabilities, namespaces shared with the host, devices, security options and platform. */
function hostAccessConfig(service: ServiceSpec) {
  return {
    capAdd: sortStrings(service.capAdd),
    capDrop: sortStrings(service.capDrop),
    privileged: service.privileged || undefined,
    pidMode: service.pid,
    ipcMode: service.ipc,
    utsMode: service.uts,
    usernsMode: service.usernsMode,
    devices: service.devices,
    securityOpt: service.securityOpt,
    platform: service.platform,
  };
}

/**
 * The cgroup namespace and parent, the OCI runtime, storage options, extra groups, domain name, MAC address, device
 * cgroup rules and device requests: keys only where the file sets them.
 */
function runtimeConfig(service: ServiceSpec) {
  return {
    cgroupnsMode: service.cgroup,
    cgroupParent: service.cgroupParent,
    runtime: service.runtime,
    storageOpt: service.storageOpt,
    groupAdd: service.groupAdd,
    domainname: service.domainname,
    macAddress: service.macAddress,
    deviceCgroupRules: service.deviceCgroupRules,
    gpus: service.gpus,
    deviceReservations: service.deviceReservations,
  };
}

/**
 * The normalised container config of a service. `digest` is the resolved manifest digest of its image.
 * Everything that reaches the Engine create body is derived from this object and nothing else.
 */
export function serviceConfig(
  desired: DesiredState,
  service: ServiceSpec,
  digest: string | undefined,
  key: HashKey,
  sourceHashes: ReadonlyMap<string, string> = new Map(),
): ServiceConfig {
  const diagnostics: Diagnostic[] = [];
  const { policy, diagnostics: restartDiags } = engineRestartPolicy(service);
  diagnostics.push(...restartDiags);
  const { bundles, diagnostics: fileDiags } = fileBundles(desired, service, key);
  const environment = environmentForms(service, key);
  diagnostics.push(...fileDiags);
  const networks = serviceNetworks(desired, service, diagnostics);
  const mounts = serviceMounts(desired, service, diagnostics);
  const grant = (kind: 'secret' | 'config') => grantEntry(desired, key, kind);
  const raw = {
    image: normaliseImageRef(service.image),
    digest,
    command: service.command,
    entrypoint: service.entrypoint,
    environment: environment.hashed,
    ports: service.ports
      .map((p) => ({ target: p.target, published: p.published, hostIp: p.hostIp, protocol: p.protocol }))
      .sort((a, b) => collate(canonicalJson(a), canonicalJson(b))),
    expose: sortStrings(service.expose),
    mounts,
    networks,
    networkMode: service.networkMode,
    restart: restartText(policy),
    healthcheck: service.healthcheck,
    labels: service.labels,
    workingDir: service.workingDir,
    user: service.user,
    hostname: service.hostname,
    containerName: service.containerName,
    stopSignal: service.stopSignal,
    stopGracePeriodNs: service.stopGracePeriodNs,
    ...hostAccessConfig(service),
    ...runtimeConfig(service),
    ...volumesFromConfig(service, sourceHashes),
    readOnly: service.readOnly || undefined,
    tmpfs: service.tmpfs,
    ulimits: service.ulimits,
    sysctls: service.sysctls,
    init: service.init,
    shmSize: service.shmSize,
    extraHosts: service.extraHosts,
    dns: service.dns,
    dnsSearch: service.dnsSearch,
    dnsOpt: service.dnsOpt,
    logging: service.logging,
    resources: service.resources,
    secrets: Object.fromEntries(service.secrets.map(grant('secret'))),
    configs: Object.fromEntries(service.configs.map(grant('config'))),
  };
  const config = prune(raw) as ContainerConfig;
  const json = JSON.stringify(config);
  return { config, environment: environment.values, json, hash: sha256(json), bundles, diagnostics };
}

/**
 * `volumes_from` as the config holds it: the entries as written (`db:ro`, `container:logs:rw`), in order, and each
 * source service's config hash (its first 12 digits), so that a replaced source (a changed config or image) replaces
 * the service too, as Compose recreates a container whose source was recreated; the plan names it
 * (`volumesFromSource.db`). The create body names the source's container on the replica's host (engine.ts).
 */
function volumesFromConfig(service: ServiceSpec, sourceHashes: ReadonlyMap<string, string>) {
  if (!service.volumesFrom) return {};
  const sources: Record<string, string | undefined> = {};
  for (const v of service.volumesFrom)
    if (v.kind === 'service') sources[v.service] = sourceHashes.get(v.service)?.slice(0, 12);
  return {
    volumesFrom: service.volumesFrom.map((v) =>
      v.kind === 'service' ? `${v.service}:${v.mode}` : `container:${v.container}:${v.mode}`,
    ),
    volumesFromSource: sources,
  };
}

/** The service's networks by engine name: its aliases (the service name first among them) and fixed address. */
function serviceNetworks(
  desired: DesiredState,
  service: ServiceSpec,
  diagnostics: Diagnostic[],
): Record<string, unknown> {
  const networks: Record<string, unknown> = {};
  if (service.networkMode) return networks;
  for (const [key, n] of Object.entries(service.networks)) {
    const spec = desired.networks[key];
    if (!spec) {
      diagnostics.push({
        severity: 'error',
        summary: `network ${key} is not defined`,
        where: { path: `services.${service.name}.networks` },
      });
      continue;
    }
    if (PREDEFINED_NETWORKS.has(spec.name)) {
      // The Engine's own networks take no network-scoped aliases, not even the service name.
      if (n.aliases.length)
        diagnostics.push({
          severity: 'error',
          summary: `service ${service.name}: aliases work only on user-defined networks, not on ${spec.name}`,
          where: { path: `services.${service.name}.networks.${key}.aliases` },
        });
      networks[spec.name] = { predefined: true, ...endpointKeys(n) };
    } else
      networks[spec.name] = {
        aliases: sortStrings([...new Set([service.name, ...n.aliases])]),
        ...endpointKeys(n),
        links: service.externalLinks?.map((l) => `${l.container}:${l.alias}`),
      };
  }
  return networks;
}

/** An endpoint's fixed settings: only what the file sets. */
function endpointKeys(n: ServiceNetworkSpec) {
  return {
    ipv4Address: n.ipv4Address,
    gwPriority: n.gwPriority,
    ipv6Address: n.ipv6Address,
    linkLocalIps: n.linkLocalIps,
    macAddress: n.macAddress,
    driverOpts: n.driverOpts,
    interfaceName: n.interfaceName,
  };
}

/** The service's mounts, sorted by target, named volumes by their engine name. */
function serviceMounts(desired: DesiredState, service: ServiceSpec, diagnostics: Diagnostic[]) {
  return service.mounts
    .map((m) => {
      let source = m.source;
      if (m.type === 'volume' && m.source) {
        const v = desired.volumes[m.source];
        if (!v)
          diagnostics.push({
            severity: 'error',
            summary: `volume ${m.source} is not defined`,
            where: { path: `services.${service.name}.volumes` },
          });
        source = v ? v.name : m.source;
      }
      return {
        type: m.type,
        source,
        target: m.target,
        readOnly: m.readOnly || undefined,
        propagation: m.bind?.propagation,
        selinux: m.bind?.selinux,
        createHostPath: m.type === 'bind' ? (m.bind?.createHostPath ?? true) : undefined,
        nocopy: m.volume?.nocopy || undefined,
        subpath: m.volume?.subpath,
        tmpfsSize: m.tmpfs?.size,
        tmpfsMode: m.tmpfs?.mode,
      };
    })
    .sort((a, b) => collate(a.target, b.target));
}
