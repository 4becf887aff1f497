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

export interface ApplyCommandOptions extends CommonOptions {
  yes?: boolean;
  refresh?: boolean;
  pruneVolumes?: boolean;
  destroy?: boolean;
}

export async function runApply(desired: DesiredState, opts: ApplyCommandOptions): Promise<ApplyResult | undefined> {
  const planned = await planStack(desired, { refresh: opts.refresh, pruneVolumes: opts.pruneVolumes, destroy: opts.destroy });
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
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await applyPlanned(desired, planned, reporter, { signal: controller.signal });
    if (controller.signal.aborted) throw new ExitError(130, [{ severity: 'error', summary: 'interrupted: operations in flight finished, the rest were skipped' }]);
    if (!result.ok) throw new ExitError(1, [], `apply failed: ${result.failures.length} operation(s) failed`);
    return result;
  } finally {
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
  addStackOptions(cmd).action(async (opts: ApplyCommandOptions) => {
    await runApply(await loadDesired(opts), opts);
  });
}
