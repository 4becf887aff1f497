/**
 * `stack apply`: take the stack's lock, plan, show it, ask (TTY) or require --yes, then walk the plan;
 * NDJSON events with --json. The workflow is the deploy layer's (src/deploy/deploy.ts); this parses options,
 * hands it the views and the prompt, and turns its end into the exit code.
 *
 * `stack apply FILE` (or `--plan FILE`) applies a plan saved by `stack plan -o FILE`, as Terraform applies a saved
 * plan: without asking (it was reviewed), and only if the plan made now under the lock is that very plan. The stack
 * is loaded from the same options as any apply (-f, -i, --env-file…): the plan file never says where anything is.
 */
import type { Command } from 'commander';
import { ExitError } from '../../errors.js';
import type { ApplyResult } from '../../apply/index.js';
import { deploy } from '../../deploy/deploy.js';
import { readSavedPlan } from '../../deploy/saved-plan-file.js';
import type { SavedPlan } from '../../deploy/saved-plan.js';
import { addStackOptions } from '../stack-options.js';
import { loadDesired } from '../load.js';
import { addWriteOptions } from '../store-options.js';
import { deployOptions, type ApplyCommandOptions } from '../deploy-options.js';
import { addFaultOptions, graceMsFrom } from '../fault-options.js';
import { withCommandSignals } from '../command-signals.js';
import { buildImages } from './build.js';
import { refuseWritesWhenResident, residentRun } from '../daemon/resident.js';

export type { ApplyCommandOptions };

/** The saved plan named by the argument or --plan, if any; the options that a saved plan decides are refused. */
export function savedPlanOf(file: string | undefined, opts: ApplyCommandOptions): SavedPlan | undefined {
  if (file !== undefined && opts.plan !== undefined && file !== opts.plan)
    throw new ExitError(1, [
      { severity: 'error', summary: `two saved plans given: ${file} and --plan ${opts.plan}`, hint: 'give one' },
    ]);
  const chosen = file ?? opts.plan;
  if (chosen === undefined) return undefined;
  const decided = [opts.refresh && '--refresh', opts.pruneVolumes && '--prune-volumes'].filter(Boolean);
  if (decided.length)
    throw new ExitError(1, [
      {
        severity: 'error',
        summary: `${decided.join(' and ')} cannot be given with a saved plan: the plan already says what it does`,
        hint: 'make the plan with the options you want (stack plan --refresh -o FILE), then apply it',
      },
    ]);
  return readSavedPlan(chosen);
}

/** Loads the stack, then deploys it (or destroys it with `destroy`); SIGINT/SIGTERM handled from the start. */
export async function runApplyCommand(opts: ApplyCommandOptions, planFile?: string): Promise<ApplyResult | undefined> {
  const saved = savedPlanOf(planFile, opts);
  if (saved || opts.destroy) refuseWritesWhenResident(saved ? 'a saved plan' : 'a destroy');
  return withCommandSignals(graceMsFrom(opts), async (signals) => {
    const loaded = await loadDesired(opts);
    if (Object.values(loaded.services).some((s) => s.build !== undefined)) refuseWritesWhenResident('build:');
    // build: services get their images by digest first (built and pushed when the registry lacks them).
    const { desired } = opts.destroy ? { desired: loaded } : await buildImages(loaded, opts, 'build');
    // In the daemon (src/cli/daemon/), only the look before the lock: a no-op ends there, anything else is the client's.
    if (!saved) return deploy(desired, { ...deployOptions(opts, signals), lookOnly: residentRun() });
    return deploy(desired, { ...deployOptions({ ...opts, yes: true, refresh: saved.refresh }, signals), saved });
  });
}

export function registerApply(program: Command): void {
  const cmd = program
    .command('apply')
    .argument(
      '[planfile]',
      'a plan saved by stack plan -o FILE: apply exactly it (no prompt), or refuse if it is stale',
    )
    .description(
      "Make the hosts match the stack file: build what has build: (when the registry lacks it), take the stack's lock, plan, confirm, then create, replace and remove; records a revision",
    )
    .option('--plan <file>', 'the same as the planfile argument')
    .option('-y, --yes', 'do not ask for confirmation (required without a TTY)')
    .option(
      '--refresh',
      "inspect every container (and the VXLAN devices of stack's own overlay) to also repair drift the config hash cannot see",
    )
    .option('--prune-volumes', 'also remove named volumes that are no longer in the file')
    .option('--json', 'print the plan, then NDJSON events ending with a summary of Engine calls per host');
  addFaultOptions(cmd, { grace: true });
  addWriteOptions(addStackOptions(cmd)).action(async (planFile: string | undefined, opts: ApplyCommandOptions) => {
    await runApplyCommand(opts, planFile);
  });
}
