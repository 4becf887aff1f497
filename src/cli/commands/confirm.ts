/** Destructive confirmations: asked on a TTY; without one, --yes is required. */
import { createInterface } from 'node:readline/promises';
import { ExitError } from '../../errors.js';

export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY || !process.stdout.isTTY)
    throw new ExitError(1, [{ severity: 'error', summary: 'not a terminal: cannot ask for confirmation', hint: 'pass --yes to apply without asking' }]);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new ExitError(1, [{ severity: 'error', summary: 'cancelled' }]);
  } finally {
    rl.close();
  }
}
