/**
 * Engine API bodies (API 1.41, and the keys of newer ones a service asks for: api-features.ts refuses them on hosts
 * that speak an older one) built from the normalised config alone, so what is hashed is what is sent.
 */
import { Labels, ContainerLabels, LABEL_PREFIX, ownerLabels, type StackOwner } from '../labels.js';
import type { ContainerConfig, EnvironmentValues, FileBundle } from './config.js';
import type { Sensitive } from '../sensitive.js';
import type { BlkioSpec, DeviceRequestSpec, NetworkSpec, ResourcesSpec, VolumeSpec } from '../stack/types.js';
import { networkConfig } from './network-config.js';
import type { ContainerCreateBody, NetworkCreateBody, VolumeCreateBody } from './types.js';

type Obj = Record<string, unknown>;

/** A network entry of the normalised config (src/plan/config.ts). */
interface NetworkEntry {
  aliases?: string[];
  ipv4Address?: string;
  gwPriority?: number;
  ipv6Address?: string;
  linkLocalIps?: string[];
  macAddress?: string;
  driverOpts?: Record<string, string>;
  interfaceName?: string;
  /** external_links as `CONTAINER:ALIAS`, resolved by the Engine on this network. */
  links?: string[];
}

/** The driver option that names the endpoint's interface in the container (Engine 28.1, API 1.49). */
export const IFNAME_OPTION = 'com.docker.network.endpoint.ifname';

interface MountEntry {
  type: string;
  source?: string;
  target: string;
  readOnly?: boolean;
  createHostPath?: boolean;
  propagation?: string;
  /** SELinux relabelling of a bind (`z` shared, `Z` private): only Binds carries it, not Mounts. */
  selinux?: string;
  tmpfsSize?: number;
  tmpfsMode?: number;
  nocopy?: boolean;
  subpath?: string;
}

/** The normalised container config as the body reads it (src/plan/config.ts writes it; empty values are dropped). */
interface ConfigView {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  stopSignal?: string;
  stopGracePeriodNs?: number;
  labels?: Record<string, string>;
  expose?: string[];
  ports?: { target: number | string; protocol?: string; hostIp?: string; published?: string }[];
  mounts?: MountEntry[];
  restart?: string;
  healthcheck?: {
    test?: string[];
    intervalNs?: number;
    timeoutNs?: number;
    retries?: number;
    startPeriodNs?: number;
    startIntervalNs?: number;
  };
  resources?: ResourcesSpec;
  logging?: { driver?: string; options?: Record<string, string> };
  networkMode?: string;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  pidMode?: string;
  ipcMode?: string;
  utsMode?: string;
  usernsMode?: string;
  devices?: { source: string; target: string; permissions: string }[];
  securityOpt?: string[];
  platform?: string;
  cgroupnsMode?: string;
  cgroupParent?: string;
  runtime?: string;
  storageOpt?: Record<string, string>;
  groupAdd?: string[];
  domainname?: string;
  macAddress?: string;
  deviceCgroupRules?: string[];
  gpus?: DeviceRequestSpec[];
  deviceReservations?: DeviceRequestSpec[];
  volumesFrom?: string[];
  readOnly?: boolean;
  tmpfs?: Record<string, string>;
  ulimits?: Record<string, { soft?: number; hard?: number }>;
  sysctls?: Record<string, string>;
  init?: boolean;
  shmSize?: number;
  extraHosts?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOpt?: string[];
}

export interface ContainerMeta {
  stack: string;
  service: string;
  slot: string;
  hash: string;
  json: string;
  bundles: FileBundle[];
  /** The environment the container gets (ServiceConfig.environment): sensitive values stay wrapped in the body. */
  environment: EnvironmentValues;
  /** Anonymous volumes carried over from the container being replaced: destination → volume name. */
  carried?: Record<string, string>;
  role?: string;
  /** The identity of the stack (absent only where no identity exists yet: a plan before the first apply). */
  owner?: StackOwner;
  /** volumes_from: each source service's container on this replica's host (src/plan/reconciler/volumes-from.ts). */
  volumesFrom?: Record<string, string>;
}

export function containerLabels(meta: ContainerMeta, user: Record<string, string> | undefined): Record<string, string> {
  const labels: Record<string, string> = { ...(user ?? {}) };
  labels[Labels.managed] = 'true';
  labels[Labels.stack] = meta.stack;
  Object.assign(labels, ownerLabels(meta.owner));
  labels[Labels.service] = meta.service;
  labels[Labels.slot] = meta.slot;
  labels[Labels.configHash] = meta.hash;
  labels[ContainerLabels.config] = meta.json;
  if (meta.role) labels[Labels.replaceRole] = meta.role;
  return labels;
}

const seconds = (ns: number | undefined) => (ns === undefined ? undefined : Math.round(ns / 1e9));

/** The network a container is created on (the API takes one), and the others to connect before start. */
export function splitNetworks(config: ContainerConfig): {
  first?: [string, NetworkEntry];
  rest: [string, NetworkEntry][];
} {
  const entries = Object.entries((config.networks as Record<string, NetworkEntry> | undefined) ?? {});
  return { first: entries[0], rest: entries.slice(1) };
}

export function endpointConfig(n: NetworkEntry | undefined): Obj {
  const body: Obj = { Aliases: n?.aliases ?? [] };
  const ipam = { IPv4Address: n?.ipv4Address, IPv6Address: n?.ipv6Address, LinkLocalIPs: n?.linkLocalIps };
  if (ipam.IPv4Address || ipam.IPv6Address || ipam.LinkLocalIPs) body.IPAMConfig = stripUndefined(ipam);
  if (n?.gwPriority !== undefined) body.GwPriority = n.gwPriority;
  if (n?.macAddress) body.MacAddress = n.macAddress;
  if (n?.links?.length) body.Links = n.links;
  const driverOpts = { ...n?.driverOpts, ...(n?.interfaceName ? { [IFNAME_OPTION]: n.interfaceName } : {}) };
  if (Object.keys(driverOpts).length) body.DriverOpts = driverOpts;
  return body;
}

export function containerCreateBody(config: ContainerConfig, meta: ContainerMeta): ContainerCreateBody {
  const c = config as ConfigView;
  const env = Object.entries(meta.environment).map(([k, v]): string | Sensitive =>
    typeof v === 'string' ? `${k}=${v}` : v.prefixed(`${k}=`),
  );
  const { exposed, bindings } = portsOf(c);
  const { mounts, binds } = mountsOf(c, meta);
  const hc = c.healthcheck;
  const { first } = splitNetworks(config);
  const body: Obj = {
    // the Engine takes the platform in the query string (docker/request-body.ts moves it there)
    platform: c.platform,
    Image: c.image,
    Cmd: c.command,
    Entrypoint: c.entrypoint,
    Env: env,
    WorkingDir: c.workingDir,
    User: c.user,
    Hostname: c.hostname,
    Domainname: c.domainname,
    // API 1.41's container-wide field; Engines of API 1.44 and later move it to the first network's endpoint
    MacAddress: c.macAddress,
    StopSignal: c.stopSignal,
    StopTimeout: seconds(c.stopGracePeriodNs),
    Labels: containerLabels(meta, c.labels),
    ExposedPorts: exposed,
    Healthcheck: hc
      ? {
          Test: hc.test,
          Interval: hc.intervalNs,
          Timeout: hc.timeoutNs,
          Retries: hc.retries,
          StartPeriod: hc.startPeriodNs,
          StartInterval: hc.startIntervalNs,
        }
      : undefined,
    HostConfig: {
      ...hostConfigOf(c, { bindings, binds, mounts, firstNetwork: first?.[0] }),
      VolumesFrom: volumesFromOf(c, meta),
    },
    NetworkingConfig: first ? { EndpointsConfig: { [first[0]]: endpointConfig(first[1]) } } : undefined,
  };
  return stripUndefined(body);
}

/** HostConfig.VolumesFrom: `CONTAINER:MODE`, a container by its name, or a source service's container on this host. */
function volumesFromOf(c: ConfigView, meta: ContainerMeta): string[] | undefined {
  return c.volumesFrom?.map((entry) => {
    if (entry.startsWith('container:')) return entry.slice('container:'.length);
    const [service, mode] = entry.split(':');
    return `${meta.volumesFrom?.[service] ?? service}:${mode}`;
  });
}

function portsOf(c: ConfigView): { exposed: Record<string, object>; bindings: Record<string, object[]> } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, object[]> = {};
  for (const e of c.expose ?? []) exposed[e.includes('/') ? e : `${e}/tcp`] = {};
  for (const p of c.ports ?? []) {
    const key = `${p.target}/${p.protocol ?? 'tcp'}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: p.published ?? '' });
  }
  return { exposed, bindings };
}

function mountsOf(c: ConfigView, meta: ContainerMeta): { mounts: Obj[]; binds: string[] } {
  const mounts: Obj[] = [];
  const binds: string[] = [];
  for (const m of c.mounts ?? []) {
    if (m.type === 'bind' && m.createHostPath) {
      const options = [m.readOnly ? 'ro' : 'rw', m.propagation, m.selinux].filter(Boolean).join(',');
      binds.push(`${m.source}:${m.target}:${options}`);
    } else if (m.type === 'bind') {
      mounts.push({
        Type: 'bind',
        Source: m.source,
        Target: m.target,
        ReadOnly: !!m.readOnly,
        BindOptions: m.propagation ? { Propagation: m.propagation } : undefined,
      });
    } else if (m.type === 'tmpfs') {
      mounts.push({ Type: 'tmpfs', Target: m.target, TmpfsOptions: { SizeBytes: m.tmpfsSize, Mode: m.tmpfsMode } });
    } else {
      mounts.push({
        Type: 'volume',
        Source: m.source ?? meta.carried?.[m.target] ?? '',
        Target: m.target,
        ReadOnly: !!m.readOnly,
        VolumeOptions: volumeOptions(m),
      });
    }
  }
  const declared = new Set(mounts.map((m) => m.Target as string));
  for (const [target, name] of Object.entries(meta.carried ?? {}))
    if (!declared.has(target)) mounts.push({ Type: 'volume', Source: name, Target: target });
  for (const b of meta.bundles)
    mounts.push({ Type: 'volume', Source: b.volume, Target: b.dir, ReadOnly: true, VolumeOptions: { NoCopy: true } });
  return { mounts, binds };
}

/** A volume mount's options: nocopy, and the subpath (API 1.45) mounted instead of the volume's root. */
function volumeOptions(m: MountEntry): Obj | undefined {
  if (!m.nocopy && m.subpath === undefined) return undefined;
  return { ...(m.nocopy ? { NoCopy: true } : {}), ...(m.subpath !== undefined ? { Subpath: m.subpath } : {}) };
}

function hostConfigOf(
  c: ConfigView,
  p: { bindings: Record<string, object[]>; binds: string[]; mounts: Obj[]; firstNetwork: string | undefined },
): Obj {
  const [restartName, retries] = (c.restart ?? 'no').split(':');
  const logging = c.logging;
  return {
    RestartPolicy: { Name: restartName, MaximumRetryCount: Number(retries ?? 0) },
    PortBindings: p.bindings,
    Binds: p.binds,
    Mounts: p.mounts,
    NetworkMode: c.networkMode ?? p.firstNetwork,
    CapAdd: c.capAdd,
    CapDrop: c.capDrop,
    Privileged: !!c.privileged,
    ...namespaceModes(c),
    ...securityOptions(c.securityOpt),
    Devices: c.devices?.map((d) => ({
      PathOnHost: d.source,
      PathInContainer: d.target,
      CgroupPermissions: d.permissions,
    })),
    ReadonlyRootfs: !!c.readOnly,
    Tmpfs: c.tmpfs,
    Ulimits: Object.entries(c.ulimits ?? {}).map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard })),
    Sysctls: c.sysctls,
    Init: c.init,
    ShmSize: c.shmSize,
    ExtraHosts: c.extraHosts,
    Dns: c.dns,
    DnsSearch: c.dnsSearch,
    DnsOptions: c.dnsOpt,
    LogConfig: logging ? { Type: logging.driver, Config: logging.options ?? {} } : undefined,
    CgroupnsMode: c.cgroupnsMode,
    CgroupParent: c.cgroupParent,
    Runtime: c.runtime,
    StorageOpt: c.storageOpt,
    GroupAdd: c.groupAdd,
    DeviceCgroupRules: c.deviceCgroupRules,
    DeviceRequests: deviceRequests([...(c.gpus ?? []), ...(c.deviceReservations ?? [])]),
    ...resourceFields(c.resources ?? {}),
  };
}

/** Memory, CPU, pids, the OOM killer and block IO as HostConfig's Resources fields (absent: the daemon's defaults). */
function resourceFields(res: ResourcesSpec): Obj {
  return {
    Memory: res.memoryLimit,
    MemoryReservation: res.memoryReservation,
    MemorySwap: res.memorySwap,
    MemorySwappiness: res.memorySwappiness,
    NanoCpus: res.nanoCpus,
    CpuShares: res.cpuShares,
    CpuPeriod: res.cpuPeriod,
    CpuQuota: res.cpuQuota,
    CpuRealtimePeriod: res.cpuRtPeriod,
    CpuRealtimeRuntime: res.cpuRtRuntime,
    CpusetCpus: res.cpuset,
    PidsLimit: res.pidsLimit,
    OomKillDisable: res.oomKillDisable,
    OomScoreAdj: res.oomScoreAdj,
    ...blkioFields(res.blkio),
  };
}

/** `gpus` then `deploy.resources.reservations.devices`, as the Engine's device requests. */
function deviceRequests(list: DeviceRequestSpec[]): Obj[] | undefined {
  if (!list.length) return undefined;
  return list.map((d) => ({
    Driver: d.driver ?? '',
    Count: d.count ?? 0,
    DeviceIDs: d.deviceIds ?? [],
    Capabilities: [d.capabilities],
    Options: d.options ?? {},
  }));
}

function blkioFields(b: BlkioSpec | undefined): Obj {
  if (!b) return {};
  const throttle = (list: { path: string; rate: number }[] | undefined) =>
    list?.map((d) => ({ Path: d.path, Rate: d.rate }));
  return {
    BlkioWeight: b.weight,
    BlkioWeightDevice: b.weightDevice?.map((d) => ({ Path: d.path, Weight: d.weight })),
    BlkioDeviceReadBps: throttle(b.deviceReadBps),
    BlkioDeviceWriteBps: throttle(b.deviceWriteBps),
    BlkioDeviceReadIOps: throttle(b.deviceReadIops),
    BlkioDeviceWriteIOps: throttle(b.deviceWriteIops),
  };
}

/** The namespaces a container shares with its host (absent: the daemon's defaults). */
function namespaceModes(c: ConfigView): Obj {
  return { PidMode: c.pidMode, IpcMode: c.ipcMode, UTSMode: c.utsMode, UsernsMode: c.usernsMode };
}

/**
 * `security_opt` as the Engine takes it. `systempaths=unconfined` is no Engine option: the docker CLI and compose
 * turn it into empty masked and read-only path lists, and so does stack.
 */
function securityOptions(opts: string[] | undefined): Obj {
  if (!opts) return {};
  const unconfined = opts.includes('systempaths=unconfined');
  const rest = opts.filter((o) => o !== 'systempaths=unconfined');
  return {
    SecurityOpt: rest.length ? rest : undefined,
    ...(unconfined ? { MaskedPaths: [], ReadonlyPaths: [] } : {}),
  };
}

/** Drops undefined fields, in place and in nested objects (not in arrays); returns the same object. */
function stripUndefined<T extends object>(o: T): T {
  const rec = o as Record<string, unknown>;
  for (const k of Object.keys(rec)) {
    const v = rec[k];
    if (v === undefined) delete rec[k];
    else if (v && typeof v === 'object' && !Array.isArray(v)) stripUndefined(v);
  }
  return o;
}

export function networkCreateBody(stack: string, n: NetworkSpec, owner?: StackOwner): NetworkCreateBody {
  const { hash, json } = networkConfig(n);
  return stripUndefined({
    Name: n.name,
    Driver: n.driver,
    Options: n.driverOpts,
    Internal: n.internal,
    Attachable: n.attachable,
    CheckDuplicate: true,
    EnableIPv6: n.enableIpv6,
    IPAM: n.ipam
      ? {
          Driver: n.ipam.driver ?? 'default',
          Config: n.ipam.config.map((c) =>
            stripUndefined({
              Subnet: c.subnet,
              Gateway: c.gateway,
              IPRange: c.ipRange,
              AuxiliaryAddresses: c.auxAddresses,
            }),
          ),
          Options: n.ipam.options,
        }
      : undefined,
    Labels: {
      ...n.labels,
      [Labels.managed]: 'true',
      [Labels.stack]: stack,
      ...ownerLabels(owner),
      [Labels.network]: n.key,
      [Labels.configHash]: hash,
      [ContainerLabels.config]: json,
    },
  });
}

export function volumeCreateBody(stack: string, v: VolumeSpec, owner?: StackOwner): VolumeCreateBody {
  return {
    Name: v.name,
    Driver: v.driver,
    DriverOpts: v.driverOpts,
    Labels: {
      ...v.labels,
      [Labels.managed]: 'true',
      [Labels.stack]: stack,
      ...ownerLabels(owner),
      [Labels.volume]: v.key,
    },
  };
}

export function filesVolumeBody(stack: string, b: FileBundle, owner?: StackOwner): VolumeCreateBody {
  return {
    Name: b.volume,
    Driver: 'local',
    Labels: { [Labels.managed]: 'true', [Labels.stack]: stack, ...ownerLabels(owner), [Labels.contentHash]: b.hash },
  };
}

/** A container that is never started: it only mounts a files volume so the archive API can fill it. */
export function helperCreateBody(stack: string, image: string, b: FileBundle, owner?: StackOwner): ContainerCreateBody {
  return {
    Image: image,
    Entrypoint: ['/stack-files-helper-never-started'],
    Labels: {
      [Labels.managed]: 'true',
      [Labels.stack]: stack,
      ...ownerLabels(owner),
      [Labels.replaceRole]: 'helper',
      [Labels.contentHash]: b.hash,
    },
    HostConfig: { Mounts: [{ Type: 'volume', Source: b.volume, Target: FILES_HELPER_PATH }], NetworkMode: 'none' },
  };
}

export const FILES_HELPER_PATH = '/stack-files';

/** Is this label set ours? */
export function isManaged(labels: Record<string, string> | undefined): boolean {
  return !!labels && labels[Labels.managed] === 'true' && Object.keys(labels).some((k) => k.startsWith(LABEL_PREFIX));
}
