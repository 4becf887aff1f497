/**
 * SIGINT/SIGTERM for the commands that write (apply, destroy, rollback), from their first line to their last.
 *
 * Before operations start — loading the stack file, waiting for the lock, observing the hosts, planning,
 * waiting for the confirmation — nothing has changed on any host, so a signal ends the command there: every
 * wait in progress is abandoned (they only read; the lock wait gives its session back), the lock is released
 * if it was taken, and the command exits 130 with one line saying so. Once operations have started, the
 * first signal starts nothing new and lets operations in flight finish within the grace time, a second one
 * stops at once (src/apply/interruption.ts); the command reports it through `onApplying`.
 */
import { ExitError } from '../errors.js';
import { Interruption } from '../apply/interruption.js';

/** What the command is doing before any change, for the message: `waiting for the lock of stack web`. */
export type Phase = string;

export class CommandSignals {
  readonly interruption: Interruption;
  private phase: Phase = 'loading the stack file';
  private applying = false;
  private received: NodeJS.Signals | undefined;
  private onApplying: ((signal: NodeJS.Signals, hard: boolean) => void) | undefined;
  private readonly handler = (signal: NodeJS.Signals) => this.receive(signal);

  constructor(graceMs: number) {
    this.interruption = new Interruption(graceMs);
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
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
    return new Promise<T>((resolve, reject) => {
      const abandon = () => reject(this.beforeAnyChange());
      if (signal.aborted) {
        work.catch(() => undefined);
        return abandon();
      }
      signal.addEventListener('abort', abandon, { once: true });
      work.then(
        (v) => {
          signal.removeEventListener('abort', abandon);
          resolve(v);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', abandon);
          reject(err);
        },
      );
    });
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
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }
}

/** Runs a writing command's body with signals handled from its start (see above). */
export async function withCommandSignals<T>(graceMs: number, fn: (signals: CommandSignals) => Promise<T>): Promise<T> {
  const signals = new CommandSignals(graceMs);
  try {
    return await fn(signals);
  } catch (err) {
    throw signals.translate(err);
  } finally {
    signals.dispose();
  }
}
