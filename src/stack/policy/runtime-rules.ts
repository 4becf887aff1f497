/**
 * The rules on how a container is run and what it may take of its host: the host's cgroup tree (`cgroup: host`), a
 * cgroup outside the daemon's (`cgroup_parent`), an OCI runtime other than runc (`runtime`), an OOM killer told to
 * spare the container before the host's processes (`oom_score_adj` below 0) or not to kill it at all without a
 * memory limit (`oom_kill_disable`). Pure functions of the normalised service, like rules.ts.
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
