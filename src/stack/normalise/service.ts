/** One service, from its (merged, interpolated, schema-checked) tree to a ServiceSpec with every default filled in. */
import type { DependsOnSpec, RestartPolicySpec, ServiceSpec } from '../types.js';
import { isRecord, scalarText, type KeyPath } from '../key-path.js';
import { sortKeys, stringMap } from '../hosts.js';
import { parseDuration, parseSize } from '../units.js';
import { servicePath, type NormaliseContext } from './context.js';
import { normaliseDeploy } from './deploy.js';
import { buildRepository, normaliseBuild } from './build.js';
import { normaliseEnvironment } from './environment.js';
import { normaliseLifecycle } from './lifecycle.js';
import { sensitiveNames } from '../sensitive-names.js';
import { normaliseGrants } from './file-grants.js';
import { normaliseHealthcheck } from './healthcheck.js';
import { normaliseDevices, normaliseSecurityOpt } from './host-access.js';
import { normaliseMounts } from './mounts.js';
import { normaliseResources } from './resources.js';
import { runtimeKeys } from './runtime-keys.js';
import { containerKeys } from './container-keys.js';
import { sharedContainers } from './shared-containers.js';
import { daemonRefusals } from './daemon-refusals.js';
import { withLabelFiles } from './label-files.js';
import { normalisePorts } from './ports.js';
import { normaliseServiceNetworks } from './service-networks.js';
import { optionalString, shellWords, stringList } from './values.js';

export function normaliseService(
  name: string,
  service: Record<string, unknown>,
  context: NormaliseContext,
): ServiceSpec {
  const at = servicePath(name);
  if ((typeof service.image !== 'string' || !service.image) && service.build === undefined) {
    context.problems.error(at, `service ${name} has no image`, {
      atKey: true,
      hint: 'add image: registry/name:tag, or build: with the folder to build (docs/stack-file.md, Build)',
    });
  }
  const spec = baseSpec(name, service, at, context);
  if (service.build !== undefined) withBuild(spec, service.build, at, context);
  const sensitive = sensitiveNames(spec.environment, context.sensitive);
  if (sensitive.length) spec.sensitive = sensitive;
  commandWords(spec, service, at, context);
  optionalFields(spec, service, at, context);
  hostAccess(spec, service, at, context);
  runtimeKeys(spec, service);
  containerKeys(spec, service, at, context);
  sharedContainers(spec, service);
  daemonRefusals(spec, service, at, context);
  normaliseLifecycle(spec, service, at, context);
  return spec;
}

/** `build:` (only without image:, key-policy.ts): the build, and the image as the repository it is pushed to. */
function withBuild(spec: ServiceSpec, value: unknown, at: KeyPath, context: NormaliseContext): void {
  const build = normaliseBuild(spec.name, value, [...at, 'build'], context);
  if (!build || !context.build) return;
  spec.build = build;
  spec.image = buildRepository(context.build, context.stackName, spec.name);
}

/** The keys every service has, defaults filled in. */
function baseSpec(name: string, service: Record<string, unknown>, at: KeyPath, context: NormaliseContext): ServiceSpec {
  const { problems } = context;
  return {
    name,
    image: typeof service.image === 'string' ? service.image : '',
    environment: normaliseEnvironment(service, at, context),
    ports: normalisePorts(service.ports, [...at, 'ports'], problems),
    expose: stringList(service.expose),
    mounts: normaliseMounts(service.volumes, [...at, 'volumes'], context),
    networks: normaliseServiceNetworks(service, at, context),
    restart: restartPolicy(service, context, name),
    labels: withLabelFiles(stringMap(service.labels), service.label_file, [...at, 'label_file'], context),
    dependsOn: dependsOn(service.depends_on),
    capAdd: stringList(service.cap_add),
    capDrop: stringList(service.cap_drop),
    privileged: service.privileged === true,
    readOnly: service.read_only === true,
    tmpfs: tmpfsMap(service.tmpfs),
    ulimits: ulimits(service.ulimits),
    sysctls: stringMap(service.sysctls),
    extraHosts: extraHosts(service.extra_hosts),
    dns: stringList(service.dns),
    dnsSearch: stringList(service.dns_search),
    dnsOpt: stringList(service.dns_opt),
    resources: normaliseResources(service, context, name),
    secrets: normaliseGrants(service.secrets, 'secret', [...at, 'secrets'], context),
    configs: normaliseGrants(service.configs, 'config', [...at, 'configs'], context),
    pullPolicy: service.pull_policy === 'always' || service.pull_policy === 'never' ? service.pull_policy : 'missing',
    deploy: normaliseDeploy(service.deploy, [...at, 'deploy'], problems),
  };
}

/** `command` and `entrypoint`: a string is split into words as a shell would, a list is taken as it is. */
function commandWords(spec: ServiceSpec, service: Record<string, unknown>, at: KeyPath, context: NormaliseContext) {
  const { problems } = context;
  for (const key of ['command', 'entrypoint'] as const) {
    const value = service[key];
    if (typeof value === 'string') {
      const words = shellWords(value);
      if (!words) problems.error([...at, key], `unbalanced quotes in ${key}`);
      else spec[key] = words;
    } else if (Array.isArray(value)) spec[key] = value.map(String);
  }
}

/** The keys a service has only when the file sets them. */
function optionalFields(spec: ServiceSpec, service: Record<string, unknown>, at: KeyPath, context: NormaliseContext) {
  const { problems } = context;
  if (service.network_mode !== undefined) spec.networkMode = scalarText(service.network_mode);
  const healthcheck = normaliseHealthcheck(service.healthcheck, [...at, 'healthcheck'], problems);
  if (healthcheck) spec.healthcheck = healthcheck;
  const optional = {
    workingDir: service.working_dir,
    user: service.user,
    hostname: service.hostname,
    containerName: service.container_name,
    stopSignal: service.stop_signal,
  } as const;
  for (const [key, value] of Object.entries(optional)) {
    const text = optionalString(value);
    if (text !== undefined) (spec as unknown as Record<string, unknown>)[key] = text;
  }
  const grace = parseDuration(service.stop_grace_period);
  if (grace !== undefined) spec.stopGracePeriodNs = grace;
  if (typeof service.init === 'boolean') spec.init = service.init;
  const shm = parseSize(service.shm_size);
  if (shm !== undefined) spec.shmSize = shm;
  if (isRecord(service.logging)) {
    spec.logging = {
      driver: typeof service.logging.driver === 'string' ? service.logging.driver : 'json-file',
      options: stringMap(service.logging.options),
    };
  }
}

/** Namespaces shared with the host, devices, security options and the platform: only when the file sets them. */
function hostAccess(spec: ServiceSpec, service: Record<string, unknown>, at: KeyPath, context: NormaliseContext) {
  if (service.pid === 'host') spec.pid = 'host';
  if (typeof service.ipc === 'string') spec.ipc = service.ipc as ServiceSpec['ipc'];
  if (service.uts === 'host') spec.uts = 'host';
  if (service.userns_mode === 'host') spec.usernsMode = 'host';
  const devices = normaliseDevices(service.devices, [...at, 'devices'], context);
  if (devices?.length) spec.devices = devices;
  const securityOpt = normaliseSecurityOpt(service.security_opt, [...at, 'security_opt'], context);
  if (securityOpt?.length) spec.securityOpt = securityOpt;
  if (typeof service.platform === 'string') spec.platform = service.platform;
}

/** The engine restart policy: deploy.restart_policy when set (it wins over restart:, as in Compose), else restart:. */
function restartPolicy(service: Record<string, unknown>, context: NormaliseContext, name: string): RestartPolicySpec {
  const deploy = isRecord(service.deploy) ? service.deploy : {};
  const policy = isRecord(deploy.restart_policy) ? deploy.restart_policy : undefined;
  if (policy) {
    if (typeof service.restart === 'string') {
      context.problems.warning(
        servicePath(name, 'restart'),
        'restart is not used: deploy.restart_policy sets the engine restart policy (as in Compose)',
        { atKey: true, hint: 'remove one of them' },
      );
    }
    const condition = policy.condition ?? 'any';
    if (condition === 'none') return { name: 'no', maximumRetryCount: 0 };
    if (condition === 'on-failure')
      return {
        name: 'on-failure',
        maximumRetryCount: typeof policy.max_attempts === 'number' ? policy.max_attempts : 0,
      };
    return { name: 'always', maximumRetryCount: 0 };
  }
  if (typeof service.restart === 'string') {
    const [kind, count] = service.restart.split(':');
    return { name: kind as RestartPolicySpec['name'], maximumRetryCount: count ? Number(count) : 0 };
  }
  return { name: 'no', maximumRetryCount: 0 };
}

function dependsOn(value: unknown): Record<string, DependsOnSpec> {
  const result: Record<string, DependsOnSpec> = {};
  if (Array.isArray(value)) {
    for (const name of value) result[String(name)] = { condition: 'service_started', required: true, restart: false };
  } else if (isRecord(value)) {
    for (const [name, spec] of Object.entries(value)) {
      const long = isRecord(spec) ? spec : {};
      result[name] = {
        condition: (long.condition as DependsOnSpec['condition'] | undefined) ?? 'service_started',
        required: long.required !== false,
        restart: long.restart === true,
      };
    }
  }
  return sortKeys(result);
}

function tmpfsMap(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of stringList(value)) {
    const colon = entry.indexOf(':');
    if (colon < 0) result[entry] = '';
    else result[entry.slice(0, colon)] = entry.slice(colon + 1);
  }
  return sortKeys(result);
}

function ulimits(value: unknown): Record<string, { soft: number; hard: number }> {
  const result: Record<string, { soft: number; hard: number }> = {};
  if (!isRecord(value)) return result;
  for (const [name, limit] of Object.entries(value)) {
    if (typeof limit === 'number') result[name] = { soft: limit, hard: limit };
    else if (isRecord(limit)) result[name] = { soft: Number(limit.soft), hard: Number(limit.hard) };
  }
  return sortKeys(result);
}

/**
 * `host:ip` entries (the Engine's form) from `host=ip`, `host:ip` or a map; a bracketed IPv6 `[::1]` loses its
 * brackets, and `host=ip1,ip2` is one entry per address (as compose-go reads it).
 */
function extraHosts(value: unknown): string[] {
  const entries = (host: string, ips: string) =>
    ips.split(',').map((ip) => `${host}:${ip.trim().replace(/^\[(.*)\]$/, '$1')}`);
  if (Array.isArray(value))
    return value.flatMap((entry) => {
      const match = /^([^=:]+)[=:](.*)$/.exec(String(entry));
      return match ? entries(match[1], match[2]) : [String(entry)];
    });
  if (isRecord(value))
    return Object.entries(value).flatMap(([host, ips]) => stringList(ips).flatMap((ip) => entries(host, ip)));
  return [];
}
