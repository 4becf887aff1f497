/** `stack destroy`: remove every container, network and files volume of the stack; named volumes with --prune-volumes. */
import type { Command } from 'commander';
import { deploy } from '../../deploy/deploy.js';
import { addStackOptions } from '../stack-options.js';
import { loadDesired } from '../load.js';
import { addWriteOptions } from '../store-options.js';
import { deployOptions, type ApplyCommandOptions } from '../deploy-options.js';
import { addFaultOptions, graceMsFrom } from '../fault-options.js';
import { withCommandSignals } from '../command-signals.js';

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
    await withCommandSignals(graceMsFrom(opts), async (signals) => {
      const desired = await loadDesired(opts, { checkPolicy: false });
      await deploy(desired, deployOptions({ ...opts, destroy: true }, signals));
    });
  });
}
