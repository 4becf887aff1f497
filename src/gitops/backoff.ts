/**
 * Exponential back-off after failed applies, capped: the n-th failure in a row waits base·2^(n-1), at most `cap`.
 * Pure; the agent keeps the count per stack and asks the clock.
 */

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 10_000, capMs: 10 * 60_000 };

/** The wait after `failures` failures in a row (0: none). */
export function backoffDelay(failures: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (failures <= 0) return 0;
  const exponent = Math.min(failures - 1, 40);
  return Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
}

/** A stack's failures in a row and when it may be tried again. */
export class Backoff {
  private failures = 0;
  private notBefore = 0;

  constructor(private readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {}

  /** A failure at `now`: the next attempt waits longer. Returns the wait. */
  failed(now: number): number {
    this.failures++;
    const wait = backoffDelay(this.failures, this.policy);
    this.notBefore = now + wait;
    return wait;
  }

  succeeded(): void {
    this.failures = 0;
    this.notBefore = 0;
  }

  /** May an attempt start at `now`? */
  ready(now: number): boolean {
    return now >= this.notBefore;
  }

  /** The earliest time the next attempt may start. */
  get notBeforeTime(): number {
    return this.notBefore;
  }

  get count(): number {
    return this.failures;
  }
}
