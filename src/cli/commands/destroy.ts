/** `stack destroy`: remove every container, network and files volume of the stack; named volumes with --prune-volumes. */
import type { Command } from 'commander';
import { addStackOptions } from './plan.js';
import { runApplyCommand, type ApplyCommandOptions } from './apply.js';
import { addFaultOptions } from '../fault-options.js';
import { addWriteOptions } from './locking.js';

export function registerDestroy(program: Command): void {
  const cmd = program
    .command('destroy')
    .description(
      "Remove everything the stack created on every host (named volumes only with --prune-volumes); takes the stack's lock and records a revision of kind destroy",
    )
    .option('-y, --yes', 'do not ask for confirmation (required without a TTY)')
    .option('--prune-volumes', 'also remove named volumes')
    .option('--json', 'print the plan, then NDJSON events ending with a summary');
  addFaultOptions(cmd, { grace: true });
  addWriteOptions(addStackOptions(cmd)).action(async (opts: ApplyCommandOptions) => {
    await runApplyCommand({ ...opts, destroy: true });
  });
}
