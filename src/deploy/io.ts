/**
 * What a deploy gives back to whoever runs it (the CLI, a reconcile agent, a test): the deploy layer never
 * prints, reads stdin or reads the environment; it reports through these hooks and reads what it is given.
 */
import type { Diagnostic } from '../errors.js';
import type { Reporter } from '../apply/index.js';
import type { Plan } from '../plan/types.js';
import type { LockInfo } from '../state/types.js';

/** Engine calls per host, as the summary reports them. */
export type CallCounts = Record<string, { reads: number; writes: number }>;

/** Gives up a question: `signal` (SIGTERM, SIGINT to the process); a Ctrl-C typed at a prompt goes to `onInterrupt`. */
export interface ConfirmInterrupt {
  signal?: AbortSignal;
  onInterrupt?: (signal: NodeJS.Signals) => void;
}

export interface DeployIO {
  /** The apply's progress events (and, for a JSON view, the plan and summary events). */
  reporter: Reporter;
  /** The plan about to be applied (or found empty). */
  showPlan(plan: Plan): void;
  /** The plan was empty: nothing was applied (`calls`: the Engine calls observing took). */
  noChanges(calls: CallCounts): void;
  /** Problems that do not fail the run (a revision not recorded, a catalog not updated, a lock not released). */
  warn(diagnostics: Diagnostic[]): void;
  /** Another run holds the stack's lock: this one waits up to `timeoutMs`. */
  lockWait(stack: string, holder: LockInfo | undefined, where: string, timeoutMs: number): void;
  /** The stack's lock is now held by this run (after a wait or not); for a caller that measures the wait. */
  lockTaken?(stack: string): void;
  /** Asks before changing anything; resolves to go on, throws (an ExitError) to stop. */
  confirm(question: string, interrupt: ConfirmInterrupt): Promise<void>;
}

/** Where the state store is and what the run may read of its environment (CONSUL_*, STACK_STATE_DIR, USER, CI). */
export interface StoreOptions {
  /** `--consul`: an address, or `none` for a local state directory. */
  consul?: string;
  env: Record<string, string | undefined>;
  /** Receives a warning about the state store itself (a local state file that others can read). */
  warnState?: (diagnostic: Diagnostic) => void;
}

export interface WriteOptions extends StoreOptions {
  /** How long to wait for another run's lock (a duration: 30s, 5m, 0). */
  lockTimeout?: string;
}

export function countsOf(clients: ReadonlyMap<string, { counts: { reads: number; writes: number } }>): CallCounts {
  return Object.fromEntries([...clients].map(([h, c]) => [h, { ...c.counts }]));
}
