/**
 * SIGINT/SIGTERM for the commands that write (apply, destroy, rollback), from their first line to their last:
 * the process's signals go to the run's RunSignals (src/deploy/run-signals.ts), which says what they do.
 */
import { RunSignals } from '../deploy/run-signals.js';

/** A run's signals fed by the process's SIGINT and SIGTERM until `dispose`. */
export class CommandSignals extends RunSignals {
  private readonly handler = (signal: NodeJS.Signals) => this.receive(signal);

  constructor(graceMs: number) {
    super(graceMs);
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }

  override dispose(): void {
    super.dispose();
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
