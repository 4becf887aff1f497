/**
 * The normalised desired state: what the loader produces and the planner consumes.
 * Defaults are filled in, durations are in nanoseconds, sizes in bytes, lists and maps in one form,
 * and every record is keyed and sorted by name, so that equal files give equal values.
 */
import type { Sensitive } from '../sensitive.js';
import type { Diagnostic } from '../errors.js';
import type { Endpoint } from './endpoint.js';
import type { Policy } from './policy/types.js';

export type { Endpoint, TlsFiles } from './endpoint.js';

export interface HostSpec {
  name: string;
  /** Parsed once (endpoint.ts): a unix socket, or tcp with the client's TLS files (or `false`: plain tcp the operator allowed). */
  endpoint: Endpoint;
  labels: Record<string, string>;
}

/**
 * Where the hosts came from. Precedence: -i (or STACK_INVENTORY) > --context > DOCKER_HOST > DOCKER_CONTEXT >
 * config.json's currentContext (`context`: a docker context's one host) > x-stack.hosts > the local socket,
 * or the sandbox's inventory when there is no local socket. All but `x-stack.hosts` are the operator's: only those
 * hosts get registry credentials (hosts.ts, operatorHosts).
 */
export type HostsSource = 'inventory' | 'context' | 'x-stack.hosts' | 'DOCKER_HOST' | 'local-socket' | 'sandbox';

/** Who chose the Consul address of StackSettings: the operator's inventory, or the stack file. */
export type ConsulFrom = 'inventory' | 'x-stack.consul';

export interface StackSettings {
  /** Engine calls in flight per host. */
  hostConcurrency: number;
  /** Engine calls in flight over all hosts. */
  globalConcurrency: number;
  /** `auto` (engine overlay where the daemons have a cluster store, else stack's own), `engine` or `consul`. */
  overlay: 'auto' | 'engine' | 'consul';
  /** Consul address from the inventory, or from x-stack.consul when the operator configured no hosts (`http://10.0.0.2:8500`). */
  consul?: string;
  /** Where `consul` came from (the loader always says; absent, as in hand-made states: the operator's inventory). */
  consulFrom?: ConsulFrom;
  /** `x-stack.sensitive`: more names (or glob patterns) of environment variables whose values are sensitive. */
  sensitive?: string[];
  /** Revisions kept in the history (`x-stack.keep_revisions`); absent: the default, 20. */
  keepRevisions?: number;
  /**
   * Image of stack's own overlay helper, pinned by digest: `--overlay-helper-image` > the inventory's
   * `overlay.helper_image`. The operator's only: never from the stack file nor Consul (src/overlay/helper-image.ts).
   */
  overlayHelperImage?: string;
  /** The inventory's `registry:` and `builder:` (the operator's only); absent: `build:` is refused. */
  build?: BuildTarget;
}

export interface PortSpec {
  target: number;
  /** Host port or range `8000-8010`; absent when Docker picks one. */
  published?: string;
  hostIp?: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  mode: 'host' | 'ingress';
}

export interface MountSpec {
  type: 'volume' | 'bind' | 'tmpfs';
  /** Volume key (as in top-level volumes), host path for bind, absent for tmpfs and anonymous volumes. */
  source?: string;
  target: string;
  readOnly: boolean;
  /** bind.create_host_path, bind.propagation, bind.selinux, volume.nocopy, tmpfs.size (bytes), tmpfs.mode */
  bind?: { createHostPath: boolean; propagation?: string; selinux?: 'z' | 'Z' };
  /** volume.subpath: a folder inside the volume, mounted instead of its root (API 1.45, Engine 26). */
  volume?: { nocopy: boolean; subpath?: string };
  tmpfs?: { size?: number; mode?: number };
}

export interface ServiceNetworkSpec {
  aliases: string[];
  ipv4Address?: string;
  /** gw_priority: the network with the highest one gives the container its default gateway (API 1.48, Engine 28). */
  gwPriority?: number;
  ipv6Address?: string;
  /** link_local_ips: link-local addresses of the endpoint. */
  linkLocalIps?: string[];
  /** The endpoint's MAC address, lowercase (API 1.44, Engine 25). */
  macAddress?: string;
  /** driver_opts: the endpoint's driver options. */
  driverOpts?: Record<string, string>;
  /** interface_name: the interface's name in the container (API 1.49, Engine 28.1). */
  interfaceName?: string;
}

export interface HealthcheckSpec {
  /** Engine form: ['CMD', ...], ['CMD-SHELL', cmd] or ['NONE']. */
  test: string[];
  intervalNs?: number;
  timeoutNs?: number;
  retries?: number;
  startPeriodNs?: number;
  /** How often it is run during start_period (API 1.44, Engine 25). */
  startIntervalNs?: number;
}

export interface RestartPolicySpec {
  name: 'no' | 'always' | 'on-failure' | 'unless-stopped';
  maximumRetryCount: number;
}

export interface DependsOnSpec {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  required: boolean;
  restart: boolean;
}

/** A placement constraint: `node.hostname == h1`, `node.labels.role != db`. */
export interface ConstraintSpec {
  /** `node.hostname`, `node.id`, `node.role`, `node.platform.os`, `node.platform.arch` or `node.labels.KEY`. */
  field: string;
  op: '==' | '!=';
  value: string;
  /** The constraint as written, for messages. */
  text: string;
}

export interface UpdateConfigSpec {
  parallelism: number;
  delayNs: number;
  failureAction: 'continue' | 'rollback' | 'pause';
  monitorNs: number;
  maxFailureRatio: number;
  order: 'stop-first' | 'start-first';
}

export interface DeploySpec {
  mode: 'replicated' | 'global';
  /** Replicas for `replicated` mode (default 1); ignored for `global`. */
  replicas: number;
  constraints: ConstraintSpec[];
  /** deploy.placement.max_replicas_per_node: at most this many replicas of the service per host (absent or 0: no limit). */
  maxReplicasPerNode?: number;
  updateConfig: UpdateConfigSpec;
  rollbackConfig: UpdateConfigSpec;
  /** deploy.restart_policy as written; the engine restart policy is in ServiceSpec.restart. */
  restartPolicy?: {
    condition: 'none' | 'on-failure' | 'any';
    delayNs?: number;
    maxAttempts?: number;
    windowNs?: number;
  };
}

/** A service's share of its host; only what the file sets (src/stack/normalise/resources.ts). */
export interface ResourcesSpec {
  memoryLimit?: number;
  memoryReservation?: number;
  /** `memswap_limit`: memory plus swap, in bytes; -1 is unlimited swap. */
  memorySwap?: number;
  /** `mem_swappiness`, 0–100. */
  memorySwappiness?: number;
  /** CPUs × 1e9. */
  nanoCpus?: number;
  /** `cpu_shares`: relative CPU weight (the kernel's default is 1024). */
  cpuShares?: number;
  /** `cpu_period` and `cpu_quota`: the CFS period and quota, in microseconds. */
  cpuPeriod?: number;
  cpuQuota?: number;
  /** `cpu_rt_period` and `cpu_rt_runtime`: real-time scheduling, in microseconds. */
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
  /** `cpuset`: the CPUs the container may run on (`0-3`, `0,2`). */
  cpuset?: string;
  pidsLimit?: number;
  oomKillDisable?: boolean;
  /** `oom_score_adj`, -1000–1000: below 0 the kernel's OOM killer spares the container before host processes. */
  oomScoreAdj?: number;
  blkio?: BlkioSpec;
}

/** `blkio_config`: block IO weight and throttles (bps in bytes per second, iops in operations per second). */
export interface BlkioSpec {
  weight?: number;
  weightDevice?: { path: string; weight: number }[];
  deviceReadBps?: ThrottleSpec[];
  deviceWriteBps?: ThrottleSpec[];
  deviceReadIops?: ThrottleSpec[];
  deviceWriteIops?: ThrottleSpec[];
}

export interface ThrottleSpec {
  path: string;
  rate: number;
}

/** A secret or config file given to a service. */
export interface FileGrantSpec {
  /** Key in top-level secrets / configs. */
  source: string;
  /** Absolute path in the container (secrets default to /run/secrets/NAME, configs to /NAME). */
  target: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

/**
 * `build:` normalised (docs/stack-file.md, Build): what the builder is asked to build. The context is inside the
 * project folder (checked by the loader); the image is tagged with a hash of the context and these options
 * (src/build/context.ts), pushed to the inventory's registry and deployed by digest.
 */
export interface BuildSpec {
  /** Absolute path of the context folder, inside the project folder. */
  context: string;
  /** The Dockerfile's path inside the context, with `/` (default `Dockerfile`); unused with `dockerfileInline`. */
  dockerfile: string;
  /** `dockerfile_inline`: the Dockerfile's text, sent in the context instead of a file. */
  dockerfileInline?: string;
  /** Build arguments, interpolated; a value the environment leaves unset is not sent. Sorted. */
  args: Record<string, string>;
  /** The names in `args` whose values are sensitive (as for environment), sorted; absent when none. Masked in output. */
  sensitiveArgs?: string[];
  target?: string;
  labels: Record<string, string>;
}

/** The operator's build settings (the inventory's `registry:` and `builder:`); both or neither. */
export interface BuildTarget {
  /** Where built images are pushed: `HOST[:PORT][/PATH]`, e.g. `10.77.0.2:5000` or `registry.example.com/team`. */
  registry: string;
  /** The daemon that builds: a host of the inventory, or the local daemon (`local`). */
  builder: HostSpec;
}

/** One `post_start` / `pre_stop` entry: an exec in the service's container (src/stack/normalise/lifecycle.ts). */
export interface LifecycleHook {
  command: string[];
  user?: string;
  privileged: boolean;
  workingDir?: string;
  environment: Record<string, string>;
  /** Names in `environment` whose values are masked (the stack's sensitive rule). */
  sensitive: string[];
}

export interface ServiceSpec {
  name: string;
  /**
   * The image. For a service with `build:`, the loader writes the repository it is pushed to
   * (`REGISTRY/PROJECT-SERVICE`) and the build step (src/build/) the reference by digest.
   */
  image: string;
  /** `build:`: built on the inventory's builder, pushed to its registry (absent: the image is pulled). */
  build?: BuildSpec;
  command?: string[];
  entrypoint?: string[];
  /** Interpolated, env_file merged in (environment wins); values are strings. */
  environment: Record<string, string>;
  /**
   * The names in `environment` whose values are sensitive (src/stack/sensitive-names.ts), sorted; absent when none
   * (and in revisions recorded before issue 14). Their values are never shown, and labels and revisions carry them
   * only as keyed HMACs.
   */
  sensitive?: string[];
  ports: PortSpec[];
  expose: string[];
  mounts: MountSpec[];
  /** Empty when network_mode is set; otherwise at least the stack's `default` network. */
  networks: Record<string, ServiceNetworkSpec>;
  networkMode?: string;
  restart: RestartPolicySpec;
  healthcheck?: HealthcheckSpec;
  labels: Record<string, string>;
  dependsOn: Record<string, DependsOnSpec>;
  workingDir?: string;
  user?: string;
  hostname?: string;
  containerName?: string;
  stopSignal?: string;
  stopGracePeriodNs?: number;
  /** `post_start`: run in the container right after it starts; a failure fails the start. Not in the config hash. */
  postStart?: LifecycleHook[];
  /** `pre_stop`: run in the container before it is stopped; a failure is a warning. Not in the config hash. */
  preStop?: LifecycleHook[];
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  /** `pid: host`: the host's PID namespace (HostConfig.PidMode). */
  pid?: 'host';
  /** `ipc`: host, private, shareable or none (HostConfig.IpcMode); absent: the daemon's default. */
  ipc?: 'host' | 'private' | 'shareable' | 'none';
  /** `uts: host`: the host's hostname and domain (HostConfig.UTSMode). */
  uts?: 'host';
  /** `userns_mode: host`: no user namespace remapping for this container (HostConfig.UsernsMode). */
  usernsMode?: 'host';
  /** `devices`: host devices mapped into the container (HostConfig.Devices). Absent in older revisions. */
  devices?: DeviceSpec[];
  /** `security_opt`, each as `key=value` (a `key:value` is rewritten) or a bare flag such as `no-new-privileges`. */
  securityOpt?: string[];
  /** `platform`: os/arch[/variant] the image is pulled and the container created for. */
  platform?: string;
  /** `cgroup`: the container's cgroup namespace (HostConfig.CgroupnsMode); absent: the daemon's default. */
  cgroup?: 'host' | 'private';
  /** `cgroup_parent`: the cgroup the container's own is created under. */
  cgroupParent?: string;
  /** `runtime`: the OCI runtime, by the name the daemon knows it (`runc`, `runsc`, …). */
  runtime?: string;
  /** `storage_opt`: per-container storage driver options (`size: 1G`). */
  storageOpt?: Record<string, string>;
  /** `group_add`: extra groups (names or ids) of the container's user. */
  groupAdd?: string[];
  /** `domainname`: the container's NIS domain name. */
  domainname?: string;
  /** `mac_address`: the container's MAC address (on its first network), lowercase. */
  macAddress?: string;
  /** `device_cgroup_rules`: device cgroup rules (`c 1:3 mr`), devices the container may create and use. */
  deviceCgroupRules?: string[];
  /** `gpus`: GPU requests (each with the `gpu` capability). */
  gpus?: DeviceRequestSpec[];
  /** `deploy.resources.reservations.devices`: device requests as written. */
  deviceReservations?: DeviceRequestSpec[];
  /** `volumes_from`: the mounts of a replica of another service on the same host, or of a container outside the stack. */
  volumesFrom?: VolumesFromSpec[];
  /** `external_links`: containers outside the stack, reachable under an alias on the networks they share. */
  externalLinks?: ExternalLinkSpec[];
  readOnly: boolean;
  /** tmpfs mounts given as `tmpfs:` (path → options). */
  tmpfs: Record<string, string>;
  ulimits: Record<string, { soft: number; hard: number }>;
  sysctls: Record<string, string>;
  init?: boolean;
  shmSize?: number;
  extraHosts: string[];
  dns: string[];
  dnsSearch: string[];
  /** dns_opt: resolver options (`ndots:2`, `timeout:1`), written to the container's resolv.conf. */
  dnsOpt: string[];
  logging?: { driver: string; options: Record<string, string> };
  resources: ResourcesSpec;
  secrets: FileGrantSpec[];
  configs: FileGrantSpec[];
  pullPolicy: 'always' | 'missing' | 'never' | 'build';
  deploy: DeploySpec;
}

/**
 * One `volumes_from` entry (`SERVICE[:ro|rw]` or `container:NAME[:ro|rw]`): a service's replica on the same host
 * (co-placed by the planner), or a container outside the stack (the service must be pinned to one host).
 */
export type VolumesFromSpec =
  { kind: 'service'; service: string; mode: 'ro' | 'rw' } | { kind: 'container'; container: string; mode: 'ro' | 'rw' };

/** One `external_links` entry (`CONTAINER[:ALIAS]`): the alias defaults to the container's name. */
export interface ExternalLinkSpec {
  container: string;
  alias: string;
}

/** A device request (HostConfig.DeviceRequests): which driver, how many devices or which, with what capabilities. */
export interface DeviceRequestSpec {
  driver?: string;
  /** -1 is all; absent when deviceIds is given. */
  count?: number;
  deviceIds?: string[];
  capabilities: string[];
  options?: Record<string, string>;
}

/** A host device in the container: `source:target:permissions` of compose's short syntax, or its long form. */
export interface DeviceSpec {
  source: string;
  target: string;
  /** Some of r, w and m; compose's default is rwm. */
  permissions: string;
}

export interface NetworkSpec {
  /** Key in the file. */
  key: string;
  /** Name on the daemons: `name:` or `<stack>_<key>`. */
  name: string;
  driver: string;
  driverOpts: Record<string, string>;
  ipam?: {
    driver?: string;
    /** `ipam.options`: the IPAM driver's options. */
    options?: Record<string, string>;
    /** `auxAddresses`: `aux_addresses`, host name → address the IPAM driver must not hand out. */
    config: { subnet?: string; gateway?: string; ipRange?: string; auxAddresses?: Record<string, string> }[];
  };
  /** `enable_ipv6: true`; absent: the daemon's default (no IPv6). */
  enableIpv6?: boolean;
  internal: boolean;
  attachable: boolean;
  external: boolean;
  labels: Record<string, string>;
}

export interface VolumeSpec {
  key: string;
  name: string;
  driver: string;
  driverOpts: Record<string, string>;
  external: boolean;
  labels: Record<string, string>;
}

/** A secret or config; content is read at load time. Its value is never printed. */
export interface FileObjectSpec {
  key: string;
  name: string;
  kind: 'secret' | 'config';
  /** Where the content came from, for messages: `file:./x`, `environment:VAR`, `content`. */
  source: string;
  external: boolean;
  /** The bytes; absent for external objects. */
  content?: Buffer;
  /**
   * sha256 of content, hex: internal only (it tells whether content changed within one run). Never in a label, a
   * revision or any output: those carry a keyed HMAC of the content (src/sensitive.ts keyedHash).
   */
  contentHash?: string;
}

export interface DesiredState {
  name: string;
  /** Directory relative paths are resolved against (the first file's folder). */
  workingDir: string;
  files: string[];
  hosts: HostSpec[];
  hostsSource: HostsSource;
  settings: StackSettings;
  services: Record<string, ServiceSpec>;
  networks: Record<string, NetworkSpec>;
  volumes: Record<string, VolumeSpec>;
  secrets: Record<string, FileObjectSpec>;
  configs: Record<string, FileObjectSpec>;
  /**
   * The operator's policy (the inventory's `policy:`, else the warn-only baseline) and what it found in this stack,
   * located in the stack file. Never from the stack file; a restored revision is checked again (deploy/rollback.ts).
   */
  policy?: PolicyReport;
  /**
   * The inventory's `registries:` credentials (the operator's), by registry host; they win over the Docker config
   * file's. Passwords are Sensitive: never printed, never in a revision (revisions keep services, not settings).
   */
  registryAuth?: Record<string, InventoryRegistryAuth>;
}

/** One registry's credentials from the inventory. */
export interface InventoryRegistryAuth {
  username: string;
  password: Sensitive;
}

/** A policy and its violations in one stack, as diagnostics (warnings in mode warn, errors in mode enforce). */
export interface PolicyReport {
  policy: Policy;
  diagnostics: Diagnostic[];
}

/** What loading a stack returns: the value (absent when there are errors) and all diagnostics. */
export interface LoadResult {
  value?: DesiredState;
  diagnostics: Diagnostic[];
}
