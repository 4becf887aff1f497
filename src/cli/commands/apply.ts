/** `stack apply`: plan, show it, ask (TTY) or require --yes, then walk the plan; NDJSON events with --json. */
import type { Command } from 'commander';
import { ExitError } from '../../errors.js';
import type { DesiredState } from '../../stack/types.js';
import { applyPlanned, planStack } from '../../apply/pipeline.js';
import type { ApplyResult } from '../../apply/index.js';
import { JsonReporter, LineReporter } from '../views/progress.js';
import { printPlan } from '../views/plan.js';
import { planJson } from '../../plan/text.js';
import { addStackOptions, failOnPlanErrors, loadDesired, type CommonOptions } from './plan.js';
import { confirm } from './confirm.js';
import { addFaultOptions, faultSettingsFrom, graceMsFrom, type FaultCliOptions } from '../fault-options.js';
import { Interruption } from '../../apply/interruption.js';

export interface ApplyCommandOptions extends CommonOptions, FaultCliOptions {
  yes?: boolean;
  refresh?: boolean;
  pruneVolumes?: boolean;
  destroy?: boolean;
}

export async function runApply(desired: DesiredState, opts: ApplyCommandOptions): Promise<ApplyResult | undefined> {
  const planned = await planStack(desired, { refresh: opts.refresh, pruneVolumes: opts.pruneVolumes, destroy: opts.destroy, skipUnreachable: opts.skipUnreachable, faults: faultSettingsFrom(opts) });
  const { plan } = planned;
  const reporter = opts.json ? new JsonReporter() : new LineReporter();
  if (opts.json) reporter.event({ type: 'plan', plan: planJson(plan) });
  else printPlan(plan);
  failOnPlanErrors(plan.diagnostics);
  if (plan.operations.length === 0) {
    if (opts.json) reporter.event({ type: 'summary', ok: true, done: 0, failed: 0, skipped: 0, calls: countsOf(planned.clients), failures: [] });
    return undefined;
  }
  await confirm(opts.destroy ? `Destroy stack ${plan.stack}?` : `Apply these changes to stack ${plan.stack}?`, opts.yes);
  // SIGINT/SIGTERM: the first starts nothing new and lets operations in flight finish within the
  // grace time; a second (or the end of the grace time) stops at once. Exit 130 either way.
  const interruption = new Interruption(graceMsFrom(opts));
  const onSignal = (signal: NodeJS.Signals) => {
    const hard = interruption.requested;
    interruption.interrupt(signal);
    reporter.event({ type: 'interrupt', reason: signal, hard, graceMs: interruption.graceMs });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await applyPlanned(desired, planned, reporter, { signal: interruption.signal, hardSignal: interruption.hardSignal });
    if (result.outcome === 'interrupted' || interruption.requested)
      throw new ExitError(130, [{ severity: 'error', summary: interruption.hardSignal.aborted ? 'interrupted: stopped at once; operations in flight may not have finished, run apply again' : 'interrupted: operations in flight finished, the rest were skipped; run apply again' }]);
    if (!result.ok) throw new ExitError(1, [], `apply failed: ${result.failures.length} operation(s) failed`);
    return result;
  } finally {
    interruption.dispose();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function countsOf(clients: ReadonlyMap<string, { counts: { reads: number; writes: number } }>) {
  return Object.fromEntries([...clients].map(([h, c]) => [h, { ...c.counts }]));
}

export function registerApply(program: Command): void {
  const cmd = program
    .command('apply')
    .description('Make the hosts match the stack file: plan, confirm, then create, replace and remove')
    .option('-y, --yes', 'do not ask for confirmation (required without a TTY)')
    .option('--refresh', 'inspect every container to also repair drift the config hash cannot see')
    .option('--prune-volumes', 'also remove named volumes that are no longer in the file')
    .option('--json', 'print the plan, then NDJSON events ending with a summary of Engine calls per host');
  addFaultOptions(cmd, { grace: true });
  addStackOptions(cmd).action(async (opts: ApplyCommandOptions) => {
    await runApply(await loadDesired(opts), opts);
  });
}
