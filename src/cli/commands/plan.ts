/**
 * `stack plan`: load → observe → plan, then print. With --detailed-exitcode: 0 no changes, 1 error,
 * 2 changes. Also holds what plan, apply, destroy and status share: loading and common options.
 */
import type { Command } from 'commander';
import { ExitError, hasErrors, type Diagnostic } from '../../errors.js';
import type { DesiredState } from '../../stack/types.js';
import { loadStack } from '../../stack/index.js';
import { addStackOptions, stackOptionsFrom, type StackCliOptions } from '../stack-options.js';
import { planStack, type Planned } from '../../apply/pipeline.js';
import { printPlan } from '../views/plan.js';
import { printDiagnostics } from '../views/diagnostics.js';
import { addFaultOptions, faultSettingsFrom, type FaultCliOptions } from '../fault-options.js';
import { operatorContext, operatorWarnings } from '../operator.js';
import { addStoreOption, readOwner, type StoreOptions } from './locking.js';

export interface CommonOptions extends StackCliOptions {
  json?: boolean;
  /** `--consul` where the command has it (write commands, status, history). */
  consul?: string;
}

export { addStackOptions };

/** Loads the desired state; prints warnings; throws ExitError(1) with every error at once. */
export async function loadDesired(opts: CommonOptions, cwd = process.cwd()): Promise<DesiredState> {
  const result = await loadStack(stackOptionsFrom(opts, cwd));
  if (!result.value || hasErrors(result.diagnostics)) throw new ExitError(1, result.diagnostics);
  const warnings = [
    ...result.diagnostics.filter((d) => d.severity === 'warning'),
    ...operatorWarnings(result.value, opts.consul),
  ];
  if (warnings.length) printDiagnostics(warnings);
  return result.value;
}

/** Plan errors (unreachable host, impossible placement, missing image) end the command with exit 1. */
export function failOnPlanErrors(diagnostics: Diagnostic[]): void {
  if (hasErrors(diagnostics))
    throw new ExitError(
      1,
      diagnostics.filter((d) => d.severity === 'error'),
    );
}

export interface PlanCommandOptions extends CommonOptions, FaultCliOptions, StoreOptions {
  refresh?: boolean;
  detailedExitcode?: boolean;
  verbose?: boolean;
}

export async function runPlan(
  desired: DesiredState,
  opts: PlanCommandOptions,
): Promise<{ planned: Planned; exitCode: number }> {
  const owner = await readOwner(desired, opts);
  const planned = await planStack(desired, {
    refresh: opts.refresh,
    skipUnreachable: opts.skipUnreachable,
    faults: faultSettingsFrom(opts),
    owner,
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
