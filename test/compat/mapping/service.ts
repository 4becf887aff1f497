/**
 * The mapping table of service keys: compose-go's JSON (`docker compose config --format json`'s shape) against
 * stack's ServiceSpec (`stack config`), key by key. A compose value of undefined (the file does not set the key,
 * and Compose has no default stack would have to match) is not compared.
 */
import type { ServiceSpec } from '../../../src/stack/types.js';
import type { FieldMapping } from './types.js';
import { defined, goDuration, list, mode, num, obj, sorted, type Json } from './values.js';
import { RESOURCE_FIELDS } from './resources.js';

type Row = FieldMapping<ServiceSpec>;

/** A key whose compose-go value is already stack's, field by field (`working_dir` → workingDir). */
function same(key: string, field: keyof ServiceSpec, absent?: unknown): Row {
  return { key, compose: (c) => c[key] ?? absent, stack: (s) => s[field] };
}

/** Lists compared as sets (compose-go and stack may order them differently; neither order matters to the Engine). */
function set(key: string, field: keyof ServiceSpec, map: (v: string) => string = (v) => v): Row {
  return {
    key,
    compose: (c) => (c[key] === undefined ? undefined : sorted(list(c[key]).map((v) => map(String(v))))),
    stack: (s) => sorted(list(s[field])),
  };
}

/** Compose's `restart:`, or the deploy policy when set — as docker compose's getRestartPolicy maps it. */
function restart(c: Json): unknown {
  const policy = obj(obj(c.deploy).restart_policy);
  if (policy.condition !== undefined) {
    const name = { none: 'no', 'on-failure': 'on-failure', any: 'always' }[policy.condition as string];
    return { name, maximumRetryCount: name === 'on-failure' ? (num(policy.max_attempts) ?? 0) : 0 };
  }
  const [name, count] = ((c.restart as string | undefined) ?? 'no').split(':');
  return { name, maximumRetryCount: count === undefined ? 0 : Number(count) };
}

function healthcheck(c: Json): unknown {
  if (c.healthcheck === undefined) return undefined;
  const h = obj(c.healthcheck);
  if (h.disable === true) return { test: ['NONE'] };
  return defined({
    test: h.test ?? [],
    intervalNs: goDuration(h.interval),
    timeoutNs: goDuration(h.timeout),
    retries: num(h.retries),
    startPeriodNs: goDuration(h.start_period),
    startIntervalNs: goDuration(h.start_interval),
  });
}

function ports(c: Json): unknown {
  if (c.ports === undefined) return undefined;
  return sorted(
    list(c.ports).map((p) => {
      const port = obj(p);
      const hostIp = port.host_ip;
      return defined({
        target: port.target,
        published: port.published,
        hostIp,
        protocol: port.protocol,
        mode: port.mode,
      });
    }),
  );
}

/** stack keeps a range `9000-9002` as one port; compose-go has one port per number of it. */
function stackPorts(s: ServiceSpec): unknown {
  return sorted(
    s.ports.flatMap((p) => {
      const [from, to] = (p.published ?? '').split('-').map(Number);
      if (!p.published || to === undefined) return [defined({ ...p })];
      return Array.from({ length: to - from + 1 }, (_, i) =>
        defined({ ...p, published: String(from + i), target: p.target + i }),
      );
    }),
  );
}

function mounts(c: Json): unknown {
  if (c.volumes === undefined) return undefined;
  return list(c.volumes).map((v) => {
    const m = obj(v);
    const bind = obj(m.bind);
    const volume = obj(m.volume);
    const tmpfs = obj(m.tmpfs);
    return defined({
      type: m.type,
      source: m.source,
      target: m.target,
      readOnly: m.read_only === true,
      bind:
        m.type === 'bind'
          ? defined({
              createHostPath: bind.create_host_path !== false,
              propagation: bind.propagation,
              selinux: bind.selinux,
            })
          : undefined,
      volume: m.type === 'volume' ? defined({ nocopy: volume.nocopy === true, subpath: volume.subpath }) : undefined,
      tmpfs: m.type === 'tmpfs' ? defined({ size: num(tmpfs.size) || undefined, mode: mode(tmpfs.mode) }) : undefined,
    });
  });
}

function stackMounts(s: ServiceSpec): unknown {
  return s.mounts.map((m) =>
    defined({
      ...m,
      bind: m.bind && defined({ ...m.bind }),
      volume: m.volume && defined({ ...m.volume }),
      tmpfs: m.tmpfs && defined({ ...m.tmpfs, size: m.tmpfs.size || undefined }),
    }),
  );
}

function networks(c: Json): unknown {
  if (c.network_mode !== undefined) return {};
  return Object.fromEntries(
    Object.entries(obj(c.networks)).map(([net, e]) => {
      const n = obj(e);
      return [
        net,
        defined({
          aliases: sorted(list(n.aliases)),
          ipv4Address: n.ipv4_address,
          ipv6Address: n.ipv6_address,
          gwPriority: n.gw_priority,
          linkLocalIps: n.link_local_ips,
          macAddress: typeof n.mac_address === 'string' ? n.mac_address.toLowerCase() : undefined,
          driverOpts: n.driver_opts,
          interfaceName: n.interface_name,
        }),
      ];
    }),
  );
}

function stackNetworks(s: ServiceSpec): unknown {
  return Object.fromEntries(
    Object.entries(s.networks).map(([net, n]) => [net, defined({ ...n, aliases: sorted(n.aliases) })]),
  );
}

function dependsOn(c: Json): unknown {
  if (c.depends_on === undefined) return {};
  return Object.fromEntries(
    Object.entries(obj(c.depends_on)).map(([name, d]) => {
      const dep = obj(d);
      return [name, { condition: dep.condition, required: dep.required !== false, restart: dep.restart === true }];
    }),
  );
}

/** A secret's or config's grant, its target made absolute as Compose's runtime does. */
function grants(key: 'secrets' | 'configs'): Row {
  const base = key === 'secrets' ? '/run/secrets/' : '/';
  return {
    key,
    compose: (c) =>
      list(c[key]).map((g) => {
        const grant = obj(g);
        const target = String(grant.target ?? grant.source);
        const absolute = target.startsWith('/') ? target : base + target;
        return defined({
          source: grant.source,
          target: absolute,
          uid: grant.uid,
          gid: grant.gid,
          mode: mode(grant.mode),
        });
      }),
    stack: (s) => s[key].map((g) => defined({ ...g })),
  };
}

function hooks(key: 'post_start' | 'pre_stop', field: 'postStart' | 'preStop'): Row {
  return {
    key,
    compose: (c) =>
      c[key] === undefined
        ? undefined
        : list(c[key]).map((h) => {
            const hook = obj(h);
            const env = obj(hook.environment);
            return defined({
              command: hook.command,
              user: hook.user,
              privileged: hook.privileged === true,
              workingDir: hook.working_dir,
              environment: env,
            });
          }),
    stack: (s) =>
      s[field]?.map((h) =>
        defined({
          command: h.command,
          user: h.user,
          privileged: h.privileged,
          workingDir: h.workingDir,
          environment: h.environment,
        }),
      ),
  };
}

function deviceRequests(value: unknown, addGpu: boolean): unknown {
  if (value === undefined) return undefined;
  return list(value).map((d) => {
    const r = obj(d);
    const capabilities = list(r.capabilities).map(String);
    if (addGpu && !capabilities.includes('gpu')) capabilities.push('gpu');
    return defined({
      driver: r.driver,
      count: r.count,
      deviceIds: r.device_ids,
      capabilities: capabilities.sort(),
      options: r.options,
    });
  });
}

const stackDeviceRequests = (v: ServiceSpec['gpus']) =>
  v?.map((r) => defined({ ...r, capabilities: [...r.capabilities].sort() }));

function tmpfs(c: Json): unknown {
  if (c.tmpfs === undefined) return undefined;
  return Object.fromEntries(
    list(c.tmpfs).map((t) => {
      const [path, ...options] = String(t).split(':');
      return [path, options.join(':')];
    }),
  );
}

function ulimits(c: Json): unknown {
  return Object.fromEntries(
    Object.entries(obj(c.ulimits)).map(([name, u]) =>
      typeof u === 'number' ? [name, { soft: u, hard: u }] : [name, { soft: obj(u).soft, hard: obj(u).hard }],
    ),
  );
}

/** `key:value` security options as `key=value`, as stack sends them (the Engine takes both). */
function securityOpt(option: string): string {
  return option.includes('=') ? option : option.replace(':', '=');
}

function logging(c: Json): unknown {
  if (c.logging === undefined) return undefined;
  const l = obj(c.logging);
  return { driver: l.driver ?? 'json-file', options: l.options ?? {} };
}

function deploy(c: Json): Json {
  return obj(c.deploy);
}

function updateConfig(key: 'update_config' | 'rollback_config', field: 'updateConfig' | 'rollbackConfig'): Row {
  return {
    key: `deploy.${key}`,
    compose: (c) => {
      if (deploy(c)[key] === undefined) return undefined;
      // Unset fields take the defaults the Compose specification gives (Swarm's), which stack's are.
      const u = obj(deploy(c)[key]);
      return {
        parallelism: num(u.parallelism) ?? 1,
        delayNs: goDuration(u.delay) ?? 0,
        failureAction: u.failure_action ?? 'pause',
        monitorNs: goDuration(u.monitor) ?? 5e9,
        maxFailureRatio: num(u.max_failure_ratio) ?? 0,
        order: u.order ?? 'stop-first',
      };
    },
    stack: (s) => s.deploy[field],
  };
}

export const SERVICE_FIELDS: readonly Row[] = [
  { key: 'image', compose: (c) => (c.build === undefined ? c.image : undefined), stack: (s) => s.image },
  same('command', 'command'),
  same('entrypoint', 'entrypoint'),
  {
    key: 'environment',
    // A variable compose-go leaves null (`KEY` alone, unset) is not passed to the container: stack drops it.
    compose: (c) => Object.fromEntries(Object.entries(obj(c.environment)).filter(([, v]) => v !== null)),
    stack: (s) => s.environment,
  },
  { key: 'ports', compose: ports, stack: stackPorts },
  set('expose', 'expose'),
  { key: 'volumes', compose: mounts, stack: stackMounts },
  { key: 'networks', compose: networks, stack: stackNetworks },
  same('network_mode', 'networkMode'),
  { key: 'restart', compose: restart, stack: (s) => s.restart },
  { key: 'healthcheck', compose: healthcheck, stack: (s) => s.healthcheck && defined({ ...s.healthcheck }) },
  same('labels', 'labels', {}),
  { key: 'depends_on', compose: dependsOn, stack: (s) => s.dependsOn },
  same('working_dir', 'workingDir'),
  same('user', 'user'),
  same('hostname', 'hostname'),
  same('container_name', 'containerName'),
  same('stop_signal', 'stopSignal'),
  { key: 'stop_grace_period', compose: (c) => goDuration(c.stop_grace_period), stack: (s) => s.stopGracePeriodNs },
  hooks('post_start', 'postStart'),
  hooks('pre_stop', 'preStop'),
  set('cap_add', 'capAdd'),
  set('cap_drop', 'capDrop'),
  same('privileged', 'privileged', false),
  same('read_only', 'readOnly', false),
  same('pid', 'pid'),
  same('ipc', 'ipc'),
  same('uts', 'uts'),
  same('userns_mode', 'usernsMode'),
  { key: 'devices', compose: (c) => c.devices, stack: (s) => s.devices },
  set('security_opt', 'securityOpt', securityOpt),
  same('platform', 'platform'),
  same('cgroup', 'cgroup'),
  same('cgroup_parent', 'cgroupParent'),
  same('runtime', 'runtime'),
  same('storage_opt', 'storageOpt'),
  set('group_add', 'groupAdd'),
  same('domainname', 'domainname'),
  {
    key: 'mac_address',
    compose: (c) => (c.mac_address as string | undefined)?.toLowerCase(),
    stack: (s) => s.macAddress,
  },
  same('device_cgroup_rules', 'deviceCgroupRules'),
  { key: 'gpus', compose: (c) => deviceRequests(c.gpus, true), stack: (s) => stackDeviceRequests(s.gpus) },
  { key: 'tmpfs', compose: tmpfs, stack: (s) => s.tmpfs },
  { key: 'ulimits', compose: ulimits, stack: (s) => s.ulimits },
  same('sysctls', 'sysctls', {}),
  same('init', 'init'),
  { key: 'shm_size', compose: (c) => num(c.shm_size), stack: (s) => s.shmSize },
  set('extra_hosts', 'extraHosts', (h) => h.replace('=', ':')),
  set('dns', 'dns'),
  set('dns_search', 'dnsSearch'),
  set('dns_opt', 'dnsOpt'),
  { key: 'logging', compose: logging, stack: (s) => s.logging },
  grants('secrets'),
  grants('configs'),
  { key: 'pull_policy', compose: (c) => c.pull_policy ?? 'missing', stack: (s) => s.pullPolicy },
  { key: 'deploy.mode', compose: (c) => deploy(c).mode ?? 'replicated', stack: (s) => s.deploy.mode },
  {
    key: 'deploy.replicas',
    compose: (c) => (deploy(c).mode === 'global' ? undefined : (deploy(c).replicas ?? c.scale ?? 1)),
    stack: (s) => s.deploy.replicas,
  },
  {
    key: 'deploy.placement.constraints',
    compose: (c) => list(obj(deploy(c).placement).constraints),
    stack: (s) => s.deploy.constraints.map((k) => k.text),
  },
  {
    key: 'deploy.placement.max_replicas_per_node',
    compose: (c) => obj(deploy(c).placement).max_replicas_per_node,
    stack: (s) => s.deploy.maxReplicasPerNode,
  },
  updateConfig('update_config', 'updateConfig'),
  updateConfig('rollback_config', 'rollbackConfig'),
  {
    key: 'deploy.resources.reservations.devices',
    compose: (c) => deviceRequests(obj(obj(deploy(c).resources).reservations).devices, false),
    stack: (s) => stackDeviceRequests(s.deviceReservations),
  },
  ...RESOURCE_FIELDS,
];
