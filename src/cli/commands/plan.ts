/**
 * `stack plan`: load → observe → plan, then print. With --detailed-exitcode: 0 no changes, 1 error,
 * 2 changes.
 */
import type { Command } from 'commander';
import type { DesiredState } from '../../stack/types.js';
import { addStackOptions } from '../stack-options.js';
import { planStack, type Planned } from '../../apply/pipeline.js';
import { printPlan } from '../views/plan.js';
import { addFaultOptions, faultSettingsFrom, type FaultCliOptions } from '../fault-options.js';
import { operatorContext } from '../operator.js';
import { loadDesired, type CommonOptions } from '../load.js';
import { addStoreOption, storeFrom, type StoreOptions } from '../store-options.js';
import { readHashKey, readOwner } from '../../deploy/locked.js';
import { failOnPlanErrors } from '../../deploy/run.js';

export interface PlanCommandOptions extends CommonOptions, FaultCliOptions, StoreOptions {
  refresh?: boolean;
  detailedExitcode?: boolean;
  verbose?: boolean;
}

export async function runPlan(
  desired: DesiredState,
  opts: PlanCommandOptions,
): Promise<{ planned: Planned; exitCode: number }> {
  const owner = await readOwner(desired, storeFrom(opts));
  const hashKey = await readHashKey(desired, storeFrom(opts));
  const planned = await planStack(desired, {
    refresh: opts.refresh,
    skipUnreachable: opts.skipUnreachable,
    faults: faultSettingsFrom(opts),
    owner,
    hashKey,
    ...operatorContext(desired, opts.consul),
  });
  printPlan(planned.plan, { json: opts.json, verbose: opts.verbose });
  failOnPlanErrors(planned.plan.diagnostics);
  const changes = planned.plan.operations.length > 0;
  return { planned, exitCode: opts.detailedExitcode && changes ? 2 : 0 };
}

export function registerPlan(program: Command): void {
  const cmd = program
    .command('plan')
    .description('Show what apply would do: observe every host, compare with the stack file, print the plan')
    .option(
      '--refresh',
      "inspect every container to find drift the config hash and the list cannot see (a network disconnected, a restart policy changed with docker update), and list the VXLAN devices of stack's own overlay on each host",
    )
    .option('--detailed-exitcode', 'exit 0 when there are no changes, 2 when there are, 1 on error')
    .option('--json', 'print the plan as one JSON document')
    .option('-v, --verbose', 'also list every operation with its dependencies');
  addFaultOptions(cmd);
  addStoreOption(addStackOptions(cmd)).action(async (opts: PlanCommandOptions) => {
    const desired = await loadDesired(opts);
    const { exitCode } = await runPlan(desired, opts);
    process.exitCode = exitCode;
  });
}
