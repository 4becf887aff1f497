/**
 * `stack rollback [--to N]`: plans and applies a stored revision through the normal path (lock, plan shown,
 * confirm, apply, new revision); the deploy layer's src/deploy/rollback.ts does it.
 */
import type { Command } from 'commander';
import { ExitError } from '../../errors.js';
import { rollback } from '../../deploy/rollback.js';
import { addStackOptions } from '../stack-options.js';
import { loadDesired } from '../load.js';
import { addWriteOptions } from '../store-options.js';
import { deployOptions, type ApplyCommandOptions } from '../deploy-options.js';
import { addFaultOptions, graceMsFrom } from '../fault-options.js';
import { withCommandSignals } from '../command-signals.js';

function revisionNumber(text: string | undefined): number | undefined {
  const to = text === undefined ? undefined : Number(text);
  if (to !== undefined && (!Number.isInteger(to) || to < 1))
    throw new ExitError(1, [
      { severity: 'error', summary: `--to ${text}: not a revision number`, hint: 'see stack history' },
    ]);
  return to;
}

export function registerRollback(program: Command): void {
  const cmd = program
    .command('rollback')
    .description(
      'Apply an earlier revision again (default: the last successful one before the current); shows the plan first and records a new revision',
    )
    .option('--to <number>', 'the revision to roll back to (see stack history)')
    .option('-y, --yes', 'do not ask for confirmation (required without a TTY)')
    .option('--json', 'print the plan, then NDJSON events ending with a summary');
  addFaultOptions(cmd, { grace: true });
  addWriteOptions(addStackOptions(cmd)).action(async (opts: ApplyCommandOptions & { to?: string }) => {
    const to = revisionNumber(opts.to);
    await withCommandSignals(graceMsFrom(opts), async (signals) => {
      const current = await loadDesired(opts, { checkPolicy: false });
      await rollback(current, to, deployOptions(opts, signals));
    });
  });
}
