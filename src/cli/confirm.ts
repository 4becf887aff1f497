/** Destructive confirmations: asked on a TTY; without one, --yes is required. */
import { createInterface } from 'node:readline/promises';
import { ExitError } from '../errors.js';

/**
 * `signal` gives up the question (SIGTERM, or a SIGINT sent to the process); Ctrl-C typed at the prompt reaches
 * readline, not the process, and is passed to `onInterrupt`.
 */
export async function confirm(
  question: string,
  yes: boolean | undefined,
  interrupt: { signal?: AbortSignal; onInterrupt?: (signal: NodeJS.Signals) => void } = {},
): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY || !process.stdout.isTTY)
    throw new ExitError(1, [
      {
        severity: 'error',
        summary: 'not a terminal: cannot ask for confirmation',
        hint: 'pass --yes to apply without asking',
      },
    ]);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  rl.on('SIGINT', () => interrupt.onInterrupt?.('SIGINT'));
  try {
    const answer = (await rl.question(`${question} [y/N] `, interrupt.signal ? { signal: interrupt.signal } : {}))
      .trim()
      .toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new ExitError(1, [{ severity: 'error', summary: 'cancelled' }]);
  } finally {
    rl.close();
  }
}
