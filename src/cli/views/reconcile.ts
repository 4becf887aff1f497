/** The reconcile agent's log: one line per event, for people or (`--json`) as a JSON object with its time and level. */
import type { AgentEvent } from '../../gitops/events.js';
import { unreachable } from '../../plan/types.js';
import { formatDiagnostic } from './diagnostics.js';

const short = (commit: string) => commit.slice(0, 12);

function levelOf(e: AgentEvent): 'info' | 'warn' | 'error' {
  switch (e.event) {
    case 'fetch-failed':
    case 'apply-failed':
    case 'invalid':
    case 'drift-check-failed':
      return 'error';
    case 'drift':
    case 'warning':
    case 'no-ref':
      return 'warn';
    case 'webhook':
      return e.outcome === 'refused' ? 'warn' : 'info';
    default:
      return 'info';
  }
}

export function describeEvent(e: AgentEvent): string {
  switch (e.event) {
    case 'started':
      return `watching ${e.repo} ${e.ref} every ${e.intervalSeconds}s for ${e.stacks.join(', ')} (drift: ${e.drift})`;
    case 'listening':
      return `listening on ${e.address} (/webhook, /metrics, /healthz)`;
    case 'fetched':
      return `${e.ref} is at ${short(e.commit)}`;
    case 'fetch-failed':
      return `fetch failed: ${e.error}`;
    case 'no-ref':
      return `no branch or tag matches ${e.ref} in the repository`;
    case 'applying':
      return `${e.stack}: applying ${short(e.commit)} (${e.reason})`;
    case 'applied':
      return e.outcome === 'ok'
        ? `${e.stack}: applied ${short(e.commit)} (${e.operations} operations, ${e.seconds.toFixed(1)}s)`
        : `${e.stack}: ${short(e.commit)} is in place, no changes`;
    case 'apply-failed':
      return `${e.stack}: apply of ${short(e.commit)} failed (${e.failures} in a row), retrying in ${e.retryInSeconds}s: ${e.error}`;
    case 'invalid':
      return `${e.stack}: commit ${short(e.commit)} is invalid, skipped (the stack stays as it is):\n${e.diagnostics.map((d) => `  ${formatDiagnostic(d).split('\n').join('\n  ')}`).join('\n')}`;
    case 'drift':
      return `${e.stack}: drift from ${short(e.commit)}: ${e.operations} operations (${e.changes.join(', ')})${e.action === 'repair' ? ', repairing' : ''}`;
    case 'drift-check-failed':
      return `${e.stack}: drift check failed: ${e.error}`;
    case 'lock-wait':
      return `${e.stack}: waiting for the stack's lock, held by ${e.holder}`;
    case 'warning':
      return `${e.stack ? `${e.stack}: ` : ''}${e.diagnostics.map((d) => formatDiagnostic(d)).join('\n')}`;
    case 'webhook':
      return `webhook from ${e.provider}: ${e.outcome}${e.ref ? ` ${e.ref}` : ''}${e.reason ? ` (${e.reason})` : ''}`;
    case 'stopped':
      return 'stopped';
    default:
      return unreachable(e);
  }
}

export function agentLogLine(e: AgentEvent, json: boolean, now: Date = new Date()): string {
  if (json) return `${JSON.stringify({ time: now.toISOString(), level: levelOf(e), ...e })}\n`;
  return `${now.toISOString()} ${levelOf(e).padEnd(5)} ${describeEvent(e)}\n`;
}
