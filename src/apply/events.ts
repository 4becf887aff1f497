/** What the executor reports while it runs: events to a Reporter (the CLI's views choose how to show them). */
import type { CallCounts } from '../docker/client.js';
import type { Operation } from '../plan/types.js';
import type { LostHost } from './lost-hosts.js';
import type { RolloutOutcome } from './rollout.js';
import type { ApplyOutcome, RootCause } from './result.js';

export interface OpRef {
  id: string;
  kind: string;
  host: string;
  resource: string;
  cause: string;
}

export type ApplyEvent =
  | { type: 'plan'; plan: Record<string, unknown> }
  | { type: 'op-start'; op: OpRef }
  /** `detail`: what a wait decided at apply time (`container.wait-ready`: healthy, or running for monitor). */
  | { type: 'op-done'; op: OpRef; ms: number; detail?: string }
  | { type: 'op-failed'; op: OpRef; error: string; ms: number }
  | { type: 'op-skipped'; op: OpRef; reason: string }
  | { type: 'compensate'; group: string; op: OpRef; error?: string }
  | { type: 'rollback'; service: string; op: OpRef; error?: string }
  | { type: 'rollout'; outcome: RolloutOutcome }
  /** An interruption was asked for: `hard` at the second signal (or when the grace time is over). */
  | { type: 'interrupt'; reason: string; hard: boolean; graceMs: number }
  | {
      type: 'summary';
      ok: boolean;
      outcome?: ApplyOutcome;
      done: number;
      failed: number;
      skipped: number;
      calls: Record<string, CallCounts>;
      failures: { op: string; error: string }[];
      /** Each failure with the operations skipped because of it; `interrupt` for an interruption. */
      rootCauses?: RootCause[];
      /** Hosts whose daemon could not be reached during the apply. */
      lostHosts?: Record<string, LostHost>;
    };

export interface Reporter {
  event(e: ApplyEvent): void;
}

export const ref = (op: Operation): OpRef => ({
  id: op.id,
  kind: op.kind,
  host: op.host,
  resource: op.resource,
  cause: op.cause,
});

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
