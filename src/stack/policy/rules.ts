/**
 * What each rule finds in one normalised service: pure functions of the service (and the stack's top-level
 * volumes), each returning the violations with the key path of the offending value in the stack file. A rule
 * here knows nothing of modes or allow entries (check.ts applies those).
 */
import type { DesiredState, ServiceSpec } from '../types.js';
import { deniedPathOf } from './host-paths.js';
import { imageRepository, registryAllows } from './registry.js';
import {
  cgroupHost,
  cgroupParent,
  deviceCgroupRules,
  gpus,
  outsideContainers,
  oomKillDisable,
  oomScoreAdj,
  runtime,
} from './runtime-rules.js';
import type { Policy, RuleId, Violation } from './types.js';

type Finder = (service: ServiceSpec, stack: Pick<DesiredState, 'volumes'>, policy: Policy) => Violation[];

/**
 * The capabilities Docker gives every container: adding one changes nothing. Any other `cap_add` (ALL,
 * SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, …) is a violation, as in Kubernetes' baseline Pod Security Standard.
 */
export const DEFAULT_CAPABILITIES: ReadonlySet<string> = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

/** `cap_net_admin` → `NET_ADMIN`. */
export function capabilityName(cap: string): string {
  const upper = cap.trim().toUpperCase();
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
}

const at = (service: string, ...rest: (string | number)[]) => ['services', service, ...rest];

/** A rule that fires when the service shares one of the host's namespaces (`pid: host`, `ipc: host`, …). */
function hostNamespace(rule: RuleId, key: string, read: (s: ServiceSpec) => string | undefined, what: string): Finder {
  return (s) => (read(s) === 'host' ? [{ rule, service: s.name, path: at(s.name, key), what }] : []);
}

const devices: Finder = (s) =>
  (s.devices ?? []).map((d, i) => ({
    rule: 'devices' as const,
    service: s.name,
    path: at(s.name, 'devices', i),
    what: `maps host device ${d.source}`,
  }));

/** The security options that switch a confinement off; `no-new-privileges` and named profiles tighten or keep it. */
export function disablesConfinement(opt: string): boolean {
  return /^(seccomp|apparmor|systempaths)=unconfined$/.test(opt) || opt === 'label=disable';
}

const securityOpt: Finder = (s) =>
  (s.securityOpt ?? []).flatMap((opt, i) =>
    disablesConfinement(opt)
      ? [
          {
            rule: 'security-opt' as const,
            service: s.name,
            path: at(s.name, 'security_opt', i),
            what: `switches confinement off (security_opt ${opt})`,
          },
        ]
      : [],
  );

const privileged: Finder = (s) => [
  ...(s.privileged
    ? [{ rule: 'privileged' as const, service: s.name, path: at(s.name, 'privileged'), what: 'runs privileged' }]
    : []),
  ...privilegedHooks(s, 'post_start', s.postStart),
  ...privilegedHooks(s, 'pre_stop', s.preStop),
];

/** A `post_start` / `pre_stop` hook with `privileged: true` runs a privileged exec: the same rule as `privileged:`. */
function privilegedHooks(s: ServiceSpec, key: string, hooks: ServiceSpec['postStart']) {
  return (hooks ?? []).flatMap((hook, i) =>
    hook.privileged
      ? [
          {
            rule: 'privileged' as const,
            service: s.name,
            path: at(s.name, key, i, 'privileged'),
            what: `runs its ${key} hook privileged`,
          },
        ]
      : [],
  );
}

const hostNetwork: Finder = (s) =>
  s.networkMode === 'host'
    ? [
        {
          rule: 'host-network',
          service: s.name,
          path: at(s.name, 'network_mode'),
          what: "uses the host's network (network_mode: host)",
        },
      ]
    : [];

const capAdd: Finder = (s) =>
  s.capAdd.flatMap((cap, i) =>
    DEFAULT_CAPABILITIES.has(capabilityName(cap))
      ? []
      : [{ rule: 'cap-add' as const, service: s.name, path: at(s.name, 'cap_add', i), what: `adds capability ${cap}` }],
  );

const registry: Finder = (s, _stack, policy) =>
  policy.registries && s.image && !registryAllows(s.image, policy.registries)
    ? [
        {
          rule: 'registry',
          service: s.name,
          path: at(s.name, 'image'),
          what: `uses image ${s.image} (${imageRepository(s.image)}), from no allowed registry (${policy.registries.join(', ') || 'none'})`,
        },
      ]
    : [];

/** Bind mounts, and named volumes of the `local` driver that bind a host path (`o: bind`, `device: /etc`). */
const bindDeniedPath: Finder = (s, stack, policy) =>
  s.mounts.flatMap((m, i): Violation[] => {
    if (m.type === 'bind' && m.source) {
      const denied = deniedPathOf(m.source, policy.deniedPaths);
      if (!denied) return [];
      const what = `binds ${m.source}${denied === m.source ? '' : `, which exposes ${denied}`}`;
      return [{ rule: 'bind-denied-path', service: s.name, path: at(s.name, 'volumes', i), what }];
    }
    const volume = m.type === 'volume' && m.source ? stack.volumes[m.source] : undefined;
    const device = volume && localBindDevice(volume.driver, volume.driverOpts);
    const denied = device && deniedPathOf(device, policy.deniedPaths);
    if (!volume || !denied) return [];
    const what = `mounts volume ${volume.key}, which binds ${device}${denied === device ? '' : `, exposing ${denied}`}`;
    return [
      { rule: 'bind-denied-path', service: s.name, path: ['volumes', volume.key, 'driver_opts', 'device'], what },
    ];
  });

/** The host path a `local` volume binds (`o: bind` or `rbind`), if it does. */
function localBindDevice(driver: string, opts: Record<string, string>): string | undefined {
  if (driver !== 'local' || !opts.device) return undefined;
  const flags = (opts.o ?? '').split(',').map((f) => f.trim());
  return flags.includes('bind') || flags.includes('rbind') ? opts.device : undefined;
}

/** Every rule's finder; a new rule id does not compile until it has one. */
export const FINDERS: Record<RuleId, Finder> = {
  privileged,
  'host-network': hostNetwork,
  'host-pid': hostNamespace('host-pid', 'pid', (s) => s.pid, "shares the host's process namespace (pid: host)"),
  'host-ipc': hostNamespace('host-ipc', 'ipc', (s) => s.ipc, "shares the host's IPC namespace (ipc: host)"),
  'host-uts': hostNamespace('host-uts', 'uts', (s) => s.uts, "shares the host's hostname (uts: host)"),
  'host-userns': hostNamespace(
    'host-userns',
    'userns_mode',
    (s) => s.usernsMode,
    "runs without the daemon's user namespace remapping (userns_mode: host)",
  ),
  'bind-denied-path': bindDeniedPath,
  'cap-add': capAdd,
  devices,
  'security-opt': securityOpt,
  registry,
  'cgroup-host': cgroupHost,
  'cgroup-parent': cgroupParent,
  runtime,
  'oom-score-adj': oomScoreAdj,
  'oom-kill-disable': oomKillDisable,
  'device-cgroup-rules': deviceCgroupRules,
  gpus,
  'outside-containers': outsideContainers,
};
