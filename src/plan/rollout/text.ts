/** The plan view's lines for a rollout. Pure. */
import type { Rollout } from '../types.js';
import { gateText } from '../health.js';
import { rollbackText } from './rollback.js';

/** One line per rollout for the plan view: the policy, then its batches. */
export function rolloutText(r: Rollout): string[] {
  const gate = gateText(r.gate, r.monitorMs);
  const lines = [
    `rollout ${r.service}: ${r.replicas} replica${r.replicas === 1 ? '' : 's'}, ${r.parallelism} at a time, ${r.order}, ${gate}, delay ${r.delayMs / 1000}s; on failure ${r.failureAction}${r.maxFailures ? ` after ${r.maxFailures + 1} failed (max_failure_ratio ${r.maxFailureRatio})` : ''}`,
  ];
  if (r.failureAction === 'rollback') lines.push(`  ${rollbackText(r.rollback)}`);
  r.batches.forEach((b, i) => lines.push(`  batch ${i + 1}: ${b.map((x) => `${x.name} (${x.host})`).join(', ')}`));
  return lines;
}
