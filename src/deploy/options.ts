/** What a deploy is asked to do, and with what: the caller's choices, hooks and signals. */
import type { PipelineOptions } from '../apply/pipeline.js';
import type { DesiredState } from '../stack/types.js';
import type { DeployIO, WriteOptions } from './io.js';
import type { RunSignals } from './run-signals.js';
import type { SavedPlan } from './saved-plan.js';

/** How to observe and plan: refresh, prune volumes, skip unreachable hosts, faults, the operator's Consul and credentials. */
export type PlanningOptions = Omit<PipelineOptions, 'destroy' | 'fence' | 'owner'>;

export interface DeployOptions extends WriteOptions {
  /** The planning options for the stack about to be planned (for a rollback: the revision's, not the file's). */
  planning: (desired: DesiredState) => PlanningOptions;
  /** Remove everything the stack made (a revision of kind destroy). */
  destroy?: boolean;
  io: DeployIO;
  signals: RunSignals;
  /**
   * Apply this saved plan and nothing else (`stack apply FILE`): no look before the lock, and the plan made under
   * the lock must equal it (src/deploy/saved-check.ts) or the run ends before any write.
   */
  saved?: SavedPlan;
  /** The git commit the stack comes from (a reconcile agent's checkout); else CI variables or `git rev-parse HEAD`. */
  commit?: string;
  /** What the lock and the revision say ran (default apply; the reconcile agent says reconcile). */
  command?: string;
  /**
   * End after the read-only look (the resident process's runs): a no-op ends as always; any other outcome throws
   * WritesNeeded instead of taking the lock.
   */
  lookOnly?: boolean;
}
