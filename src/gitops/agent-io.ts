/**
 * The agent's side of a deploy (src/deploy/io.ts): nobody to ask (the agent applies what the repository says,
 * as `apply --yes` would), warnings into its log, and the time spent waiting for another run's lock measured.
 */
import type { DeployIO } from '../deploy/io.js';
import { describeHolder } from '../state/types.js';
import type { Clock } from './clock.js';
import type { AgentLog } from './events.js';

export interface AgentIO extends DeployIO {
  /** Seconds waited for the lock in this run (0 when it was free). */
  lockWaitSeconds(): number;
  /** Operations in the plan that was applied (0: no changes). */
  operations(): number;
}

export function agentIO(stack: string, log: AgentLog, clock: Clock): AgentIO {
  let waitingSince: number | undefined;
  let waited = 0;
  let operations = 0;
  const endWait = () => {
    if (waitingSince !== undefined) waited += (clock.now() - waitingSince) / 1000;
    waitingSince = undefined;
  };
  return {
    reporter: { event: () => undefined },
    showPlan: (plan) => {
      operations = plan.operations.length;
    },
    noChanges: () => undefined,
    warn: (diagnostics) => log({ event: 'warning', stack, diagnostics }),
    lockWait: (_stack, holder) => {
      if (waitingSince === undefined)
        log({ event: 'lock-wait', stack, holder: holder ? describeHolder(holder) : 'unknown' });
      waitingSince ??= clock.now();
    },
    lockTaken: endWait,
    confirm: () => Promise.resolve(),
    lockWaitSeconds: () => {
      endWait();
      return waited;
    },
    operations: () => operations,
  };
}
