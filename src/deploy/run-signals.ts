/**
 * The signals of one run that writes (apply, destroy, rollback), from its first line to its last; whoever runs
 * it (the CLI: SIGINT/SIGTERM) calls `receive`.
 *
 * Before operations start — waiting for the lock, observing the hosts, planning, waiting for the
 * confirmation — nothing has changed on any host, so a signal ends the run there: every wait in progress is
 * abandoned (they only read; the lock wait gives its session back), the lock is released if it was taken, and
 * the run ends with exit 130 and one line saying so. Once operations have started, the first signal starts
 * nothing new and lets operations in flight finish within the grace time, a second one stops at once
 * (src/apply/interruption.ts); the run reports it through `onApplying`.
 */
import { ExitError } from '../errors.js';
import { Interruption } from '../apply/interruption.js';

/** What the run is doing before any change, for the message: `waiting for the lock of stack web`. */
export type Phase = string;

export class RunSignals {
  readonly interruption: Interruption;
  private phase: Phase = 'loading the stack file';
  private applying = false;
  private received: NodeJS.Signals | undefined;
  private onApplying: ((signal: NodeJS.Signals, hard: boolean) => void) | undefined;

  constructor(graceMs: number) {
    this.interruption = new Interruption(graceMs);
  }

  /** A signal arrived (from the process, or Ctrl-C read by a prompt on a TTY). */
  receive(signal: NodeJS.Signals): void {
    const hard = this.interruption.requested;
    this.received ??= signal;
    this.interruption.interrupt(signal);
    if (this.applying) this.onApplying?.(signal, hard);
  }

  /** Fires at the first signal. */
  get signal(): AbortSignal {
    return this.interruption.signal;
  }

  /** Enters a phase before any change; throws if a signal already arrived. */
  enter(phase: Phase): void {
    this.check();
    this.phase = phase;
  }

  /** Throws the interrupted-before-any-change error if a signal arrived and operations have not started. */
  check(): void {
    if (this.interruption.requested && !this.applying) throw this.beforeAnyChange();
  }

  /** Operations start now: from here on a signal interrupts the apply (reported through `report`). */
  startApplying(report: (signal: NodeJS.Signals, hard: boolean) => void): void {
    this.check();
    this.applying = true;
    this.onApplying = report;
  }

  /**
   * Waits for `work` (something that changes nothing: observe, a prompt), or for a signal, whichever comes
   * first; a signal abandons the work.
   */
  until<T>(work: Promise<T>): Promise<T> {
    const signal = this.interruption.signal;
    if (signal.aborted) {
      work.catch(() => undefined);
      return Promise.reject(this.beforeAnyChange());
    }
    let abandon = () => {};
    const abandoned = new Promise<never>((_, reject) => {
      abandon = () => reject(this.beforeAnyChange());
      signal.addEventListener('abort', abandon, { once: true });
    });
    return Promise.race([work, abandoned]).finally(() => signal.removeEventListener('abort', abandon));
  }

  /** Whatever ended the command: before operations started, a signal makes it the interrupted-before-any-change exit. */
  translate(err: unknown): unknown {
    return this.interruption.requested && !this.applying ? this.beforeAnyChange() : err;
  }

  beforeAnyChange(): ExitError {
    return new ExitError(130, [
      {
        severity: 'error',
        summary: `interrupted by ${this.received ?? 'a signal'} while ${this.phase}, before any change: no host was changed`,
      },
    ]);
  }

  dispose(): void {
    this.interruption.dispose();
  }
}
