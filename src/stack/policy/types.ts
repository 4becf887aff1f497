/**
 * The operator's policy for dangerous settings (docs/policy.md): parsed once from the inventory's `policy:`
 * (parse.ts) into a Policy, then checked against a loaded or restored stack (check.ts). The stack file never
 * contributes to it.
 */

/** Every rule, by its stable id (what `allow` entries and `--json` diagnostics name). */
export const RULE_IDS = [
  'privileged',
  'host-network',
  'host-pid',
  'host-ipc',
  'host-uts',
  'host-userns',
  'bind-denied-path',
  'cap-add',
  'devices',
  'security-opt',
  'registry',
  'cgroup-host',
  'cgroup-parent',
  'runtime',
  'oom-score-adj',
  'oom-kill-disable',
  'device-cgroup-rules',
  'gpus',
  'outside-containers',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

/** `warn`: a violation is a warning (the default, also without `policy:`); `enforce`: an error, nothing is changed. */
export type PolicyMode = 'warn' | 'enforce';

/** Rules one stack, or one service of it, may break. */
export interface AllowEntry {
  stack: string;
  /** Absent: every service of the stack. */
  service?: string;
  rules: RuleId[];
}

export interface Policy {
  mode: PolicyMode;
  /** Where it came from: the inventory file (display path), or absent for the built-in baseline (no `policy:`). */
  source?: string;
  /** Host paths no bind mount may expose: the built-in ones, then the operator's `denied_paths`. */
  deniedPaths: string[];
  /** Image repository patterns (`*` is any characters); absent: any registry. */
  registries?: string[];
  allow: AllowEntry[];
}

/**
 * Host paths no bind mount may expose, before the operator's own: the host's root and configuration, the kernel's
 * interfaces, devices, boot files, root's home, and the container runtimes' sockets and state (each of which is
 * root on the host).
 */
export const BUILT_IN_DENIED_PATHS: readonly string[] = [
  '/',
  '/boot',
  '/dev',
  '/etc',
  '/proc',
  '/root',
  '/sys',
  '/run/docker.sock',
  '/var/run/docker.sock',
  '/run/containerd',
  '/var/lib/docker',
];

/** The policy without `policy:` in the inventory (or without an inventory): every built-in rule, warnings only. */
export const BASELINE_POLICY: Policy = { mode: 'warn', deniedPaths: [...BUILT_IN_DENIED_PATHS], allow: [] };

/** One rule a service breaks: which, where in the stack file (a key path), and what it does, for people. */
export interface Violation {
  rule: RuleId;
  service: string;
  path: readonly (string | number)[];
  /** e.g. `runs privileged`, `binds /var/run/docker.sock`. */
  what: string;
}
