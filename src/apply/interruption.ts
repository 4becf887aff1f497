/**
 * Interruption of an apply (SIGINT/SIGTERM, or a caller that wants to stop): the first request stops
 * new operations from starting and gives those in flight a bounded grace time; a second request, or
 * the end of the grace time, ends the apply at once. The executor reads the two signals; whoever
 * holds a lock releases it when apply returns with outcome `interrupted`.
 */

export const DEFAULT_GRACE_MS = 30_000;

export class Interruption {
  private readonly soft = new AbortController();
  private readonly hard = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly graceMs: number = DEFAULT_GRACE_MS) {}

  /** Fires at the first request: start nothing new. */
  get signal(): AbortSignal {
    return this.soft.signal;
  }

  /** Fires at the second request or when the grace time is over: stop waiting for anything. */
  get hardSignal(): AbortSignal {
    return this.hard.signal;
  }

  get requested(): boolean {
    return this.soft.signal.aborted;
  }

  /** First call: soft stop and start the grace timer; any later call: hard stop. */
  interrupt(reason = 'interrupted'): void {
    if (!this.soft.signal.aborted) {
      this.soft.abort(reason);
      this.timer = setTimeout(
        () => this.hard.abort(`${reason}; grace time of ${Math.round(this.graceMs / 1000)}s over`),
        this.graceMs,
      );
      return;
    }
    this.hard.abort(`${reason} again`);
  }

  /** Stops the grace timer (call when the apply has returned). */
  dispose(): void {
    clearTimeout(this.timer);
  }
}

/** The gate of the DAG walk: once either signal fired, nothing new starts; `interrupt` is the root cause. */
export function interruptionRefusal(
  signal: AbortSignal | undefined,
  hardSignal: AbortSignal | undefined,
): { reason: string; root: string } | undefined {
  return signal?.aborted || hardSignal?.aborted ? { reason: 'interrupted', root: 'interrupt' } : undefined;
}
