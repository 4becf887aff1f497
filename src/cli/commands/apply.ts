/**
 * `stack apply`: take the stack's lock, plan, show it, ask (TTY) or require --yes, then walk the plan;
 * NDJSON events with --json. The workflow is the deploy layer's (src/deploy/deploy.ts); this parses options,
 * hands it the views and the prompt, and turns its end into the exit code.
 */
import type { Command } from 'commander';
import type { ApplyResult } from '../../apply/index.js';
import { deploy } from '../../deploy/deploy.js';
import { addStackOptions } from '../stack-options.js';
import { loadDesired } from '../load.js';
import { addWriteOptions } from '../store-options.js';
import { deployOptions, type ApplyCommandOptions } from '../deploy-options.js';
import { addFaultOptions, graceMsFrom } from '../fault-options.js';
import { withCommandSignals } from '../command-signals.js';

export type { ApplyCommandOptions };

/** Loads the stack, then deploys it (or destroys it with `destroy`); SIGINT/SIGTERM handled from the start. */
export async function runApplyCommand(opts: ApplyCommandOptions): Promise<ApplyResult | undefined> {
  return withCommandSignals(graceMsFrom(opts), async (signals) => {
    const desired = await loadDesired(opts);
    return deploy(desired, deployOptions(opts, signals));
  });
}

export function registerApply(program: Command): void {
  const cmd = program
    .command('apply')
    .description(
      "Make the hosts match the stack file: take the stack's lock, plan, confirm, then create, replace and remove; records a revision",
    )
    .option('-y, --yes', 'do not ask for confirmation (required without a TTY)')
    .option(
      '--refresh',
      "inspect every container (and the VXLAN devices of stack's own overlay) to also repair drift the config hash cannot see",
    )
    .option('--prune-volumes', 'also remove named volumes that are no longer in the file')
    .option('--json', 'print the plan, then NDJSON events ending with a summary of Engine calls per host');
  addFaultOptions(cmd, { grace: true });
  addWriteOptions(addStackOptions(cmd)).action(async (opts: ApplyCommandOptions) => {
    await runApplyCommand(opts);
  });
}
