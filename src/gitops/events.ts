/** What the reconcile agent reports as it works: one event per line of its log (the CLI prints them, as text or JSON). */
import type { Diagnostic } from '../errors.js';

export type AgentEvent =
  | { event: 'started'; repo: string; ref: string; stacks: string[]; intervalSeconds: number; drift: DriftMode }
  | { event: 'fetched'; ref: string; commit: string }
  | { event: 'fetch-failed'; error: string }
  | { event: 'no-ref'; ref: string }
  | { event: 'applying'; stack: string; commit: string; reason: 'new commit' | 'drift repair' | 'retry' }
  | {
      event: 'applied';
      stack: string;
      commit: string;
      outcome: 'ok' | 'unchanged';
      operations: number;
      seconds: number;
    }
  | { event: 'apply-failed'; stack: string; commit: string; error: string; retryInSeconds: number; failures: number }
  | { event: 'invalid'; stack: string; commit: string; diagnostics: Diagnostic[] }
  | { event: 'drift'; stack: string; commit: string; operations: number; changes: string[]; action: DriftMode }
  | { event: 'lock-wait'; stack: string; holder: string }
  | { event: 'drift-check-failed'; stack: string; commit: string; error: string }
  | { event: 'warning'; stack?: string; diagnostics: Diagnostic[] }
  | { event: 'webhook'; provider: string; outcome: 'accepted' | 'ignored' | 'refused'; reason?: string; ref?: string }
  | { event: 'listening'; address: string }
  | { event: 'stopped' };

/** report: say so and count it; repair: apply the commit again to converge. */
export type DriftMode = 'report' | 'repair';

export type AgentLog = (event: AgentEvent) => void;
