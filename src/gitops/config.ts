/** The reconcile agent's settings, parsed once (by the CLI, from flags and reconcile.yaml) into this shape. */
import type { ReconcileStackEntry } from '../stack/reconcile-file.js';
import type { CredentialSource } from '../docker/auth.js';
import type { PlanningOptions } from '../deploy/options.js';
import type { DesiredState } from '../stack/types.js';
import type { BackoffPolicy } from './backoff.js';
import type { DriftMode } from './events.js';

/** One stack folder the agent applies: the repository's folder, the operator's inventory (required) and env files. */
export interface StackTarget extends ReconcileStackEntry {
  inventory: string;
}

export interface AgentConfig {
  repo: string;
  /** A branch (or tag) name, or a tag pattern with * (the newest tag by version order). */
  ref: string;
  stacks: StackTarget[];
  intervalMs: number;
  drift: DriftMode;
  /** Where the agent keeps its clone (the operator's; created 0700). */
  workDir: string;
  /** Run one cycle (fetch, apply what changed, check drift) and return. */
  once: boolean;
  backoff?: BackoffPolicy;
}

/** What the agent runs with from the operator's side: the environment, the state store, the planning options. */
export interface AgentContext {
  /** The operator's environment: interpolation, git's credentials, the state store (STACK_STATE_DIR, CONSUL_*). */
  env: Record<string, string | undefined>;
  consul?: string;
  lockTimeout?: string;
  /** The operator's Consul and registry credentials for a stack about to be planned. */
  planning: (desired: DesiredState) => PlanningOptions & { credentials: CredentialSource };
  /** How long a stopping agent lets operations in flight finish. */
  graceMs: number;
}

/** The name a stack goes by in the log and the metrics: its project name, else its folder. */
export function stackKey(target: Pick<ReconcileStackEntry, 'path' | 'projectName'>): string {
  return target.projectName ?? target.path;
}
