/** The CLI's side of a deploy: the human or JSON view on stdout, warnings and lock waits on stderr, the prompt. */
import type { DeployIO } from '../deploy/io.js';
import { JsonReporter, LineReporter } from './views/progress.js';
import { printPlan } from './views/plan.js';
import { printDiagnostics } from './views/diagnostics.js';
import { printLockWait } from './views/lock.js';
import { planJson } from '../plan/text.js';
import { confirm } from './confirm.js';

export function deployIO(opts: { json?: boolean; yes?: boolean }): DeployIO {
  const json = opts.json === true;
  const reporter = json ? new JsonReporter() : new LineReporter();
  return {
    reporter,
    showPlan: (plan) => (json ? reporter.event({ type: 'plan', plan: planJson(plan) }) : printPlan(plan)),
    noChanges: (calls) => {
      if (json) reporter.event({ type: 'summary', ok: true, done: 0, failed: 0, skipped: 0, calls, failures: [] });
    },
    warn: (diagnostics) => printDiagnostics(diagnostics),
    lockWait: (stack, holder, where, timeoutMs) => printLockWait(stack, holder, where, timeoutMs),
    confirm: (question, interrupt) => confirm(question, opts.yes, interrupt),
  };
}
