/**
 * The rules on how a container is run and what it may take of its host: the host's cgroup tree (`cgroup: host`), a
 * cgroup outside the daemon's (`cgroup_parent`), an OCI runtime other than runc (`runtime`), an OOM killer told to
 * spare the container before the host's processes (`oom_score_adj` below 0) or not to kill it at all without a
 * memory limit (`oom_kill_disable`), device nodes it may create and use (`device_cgroup_rules`) and devices a driver
 * hands it (`gpus`, `deploy.resources.reservations.devices`), and containers outside the stack it reaches into
 * (`volumes_from: container:NAME`, `external_links`). Pure functions of the normalised service, like rules.ts.
 */
import type { ServiceSpec } from '../types.js';
import type { RuleId, Violation } from './types.js';

const at = (service: string, key: string) => ['services', service, key];

function one(rule: RuleId, s: ServiceSpec, key: string, what: string): Violation[] {
  return [{ rule, service: s.name, path: at(s.name, key), what }];
}

export const cgroupHost = (s: ServiceSpec): Violation[] =>
  s.cgroup === 'host' ? one('cgroup-host', s, 'cgroup', "sees the host's cgroup tree (cgroup: host)") : [];

export const cgroupParent = (s: ServiceSpec): Violation[] =>
  s.cgroupParent !== undefined
    ? one(
        'cgroup-parent',
        s,
        'cgroup_parent',
        `puts its cgroup under ${s.cgroupParent} (cgroup_parent), outside the daemon's own`,
      )
    : [];

export const runtime = (s: ServiceSpec): Violation[] =>
  s.runtime !== undefined && s.runtime !== 'runc'
    ? one('runtime', s, 'runtime', `runs under the OCI runtime ${s.runtime} (runtime), not runc`)
    : [];

export const oomScoreAdj = (s: ServiceSpec): Violation[] => {
  const adj = s.resources.oomScoreAdj;
  return adj !== undefined && adj < 0
    ? one(
        'oom-score-adj',
        s,
        'oom_score_adj',
        `asks the OOM killer to spare it before the host's processes (oom_score_adj ${adj})`,
      )
    : [];
};

export const oomKillDisable = (s: ServiceSpec): Violation[] =>
  s.resources.oomKillDisable === true && s.resources.memoryLimit === undefined
    ? one(
        'oom-kill-disable',
        s,
        'oom_kill_disable',
        'turns the OOM killer off without a memory limit (oom_kill_disable: true): it may take all the host has',
      )
    : [];

export const deviceCgroupRules = (s: ServiceSpec): Violation[] =>
  (s.deviceCgroupRules ?? []).map((rule, i) => ({
    rule: 'device-cgroup-rules' as const,
    service: s.name,
    path: ['services', s.name, 'device_cgroup_rules', i],
    what: `may create and use host devices ${rule} (device_cgroup_rules)`,
  }));

export const gpus = (s: ServiceSpec): Violation[] => [
  ...(s.gpus?.length ? one('gpus', s, 'gpus', 'is handed GPUs by a device driver (gpus)') : []),
  ...(s.deviceReservations ?? []).map((d, i) => ({
    rule: 'gpus' as const,
    service: s.name,
    path: ['services', s.name, 'deploy', 'resources', 'reservations', 'devices', i],
    what: `is handed devices (${d.capabilities.join(', ') || 'any'}) by ${d.driver ?? 'a device driver'}`,
  })),
];

/** A container outside the stack (any on the pinned host: another stack's, the operator's) whose volumes or network name the service takes. */
export const outsideContainers = (s: ServiceSpec): Violation[] => [
  ...(s.volumesFrom ?? []).flatMap((v, i) =>
    v.kind === 'container'
      ? [
          {
            rule: 'outside-containers' as const,
            service: s.name,
            path: ['services', s.name, 'volumes_from', i],
            what: `mounts the volumes of container ${v.container}, which is not the stack's (volumes_from: container:${v.container})`,
          },
        ]
      : [],
  ),
  ...(s.externalLinks ?? []).map((l, i) => ({
    rule: 'outside-containers' as const,
    service: s.name,
    path: ['services', s.name, 'external_links', i],
    what: `links to container ${l.container}, which is not the stack's (external_links)`,
  })),
];
