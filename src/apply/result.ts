/** What an apply returns: the outcome, each operation's status, the root causes, the lost hosts and the rollouts. */
import type { CallCounts } from '../docker/client.js';
import type { LostHost } from './lost-hosts.js';
import type { RolloutOutcome } from './rollout.js';

/** `interrupted`: in flight when a hard interruption ended the apply; its outcome is unknown. */
export type OpStatus = 'done' | 'failed' | 'skipped' | 'interrupted';

/** How an apply ended: every operation done, some failed or skipped, or stopped by an interruption. */
export type ApplyOutcome = 'ok' | 'failed' | 'interrupted';

/** A failure and what was skipped because of it (by operation id). */
export interface RootCause {
  op: string;
  host: string;
  error: string;
  skipped: string[];
}

export interface ApplyResult {
  ok: boolean;
  outcome: ApplyOutcome;
  status: Record<string, OpStatus>;
  failures: { op: string; error: string }[];
  rootCauses: RootCause[];
  lostHosts: Record<string, LostHost>;
  calls: Record<string, CallCounts>;
  /** Per service with a rolling update: completed, paused, rolled back…, with the failed replicas and why. */
  rollouts: Record<string, RolloutOutcome>;
}
