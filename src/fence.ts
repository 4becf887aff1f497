/**
 * A run's permission to write, tied to the stack's lock. Every write stack sends — each Engine API call that is
 * not a GET (HostClient, at the level of its HTTP transport), each Consul write of the revision record, the
 * catalog sync and the overlay's state — asks `check()` first; once the lock is lost it throws FencedError and
 * the write is never sent. A write already on the wire when the loss is noticed cannot be recalled: docs/state.md
 * says how long that window is.
 */

/** A write refused because the run no longer holds its lock. Never retried. */
export class FencedError extends Error {
  readonly code = 'ESTACKFENCED';
  constructor(
    readonly action: string,
    reason: string,
  ) {
    super(`not sent (${action}): ${reason}`);
    this.name = 'FencedError';
  }
}

export interface Fence {
  /** Throws FencedError when writes are no longer allowed; `action` names the write for the message. */
  check(action: string): void;
  /** Aborts when the fence closes (for waits that should end then). */
  readonly signal: AbortSignal;
}

/** A fence that never closes: runs without a lock (plan, the read-only look) and tests. */
export const UNFENCED: Fence = { check() {}, signal: new AbortController().signal };

/** The fence of a held lock: closed once `lost` aborts, with its reason in the message. */
export function fenceOf(lost: AbortSignal): Fence {
  return {
    signal: lost,
    check(action) {
      if (!lost.aborted) return;
      throw new FencedError(action, lost.reason instanceof Error ? lost.reason.message : 'the lock was lost');
    },
  };
}

/** Is this error (or its cause) a write refused by a fence? */
export function isFenced(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++)
    if (e instanceof FencedError) return true;
  return false;
}
