/** `stack history`: a table of revisions (each with how its rollouts ended), or JSON. */
import type { RevisionRollout, RevisionRolloutOutcome, RevisionSummary } from '../../state/types.js';

const OUTCOME: Record<RevisionRolloutOutcome, string> = {
  completed: 'completed',
  'completed-with-failures': 'continued past failed replicas',
  paused: 'paused',
  'rolled-back': 'rolled back',
  'rollback-incomplete': 'rollback incomplete',
  incomplete: 'incomplete',
};

function rolloutLines(rollouts: RevisionRollout[]): string[] {
  const lines: string[] = [];
  for (const r of rollouts) {
    lines.push(
      `rollout ${r.service}: ${OUTCOME[r.outcome] ?? r.outcome}${r.rolledBack.length ? `; rolled back ${r.rolledBack.join(', ')}` : ''}`,
    );
    for (const f of r.failures) lines.push(`  replica ${f.replica} on ${f.host} failed: ${f.reason}`);
    for (const e of r.rollbackErrors ?? []) lines.push(`  rollback step ${e.op} failed: ${e.error}`);
  }
  return lines;
}

export function printHistory(
  stack: string,
  where: string,
  revisions: RevisionSummary[],
  options: { json?: boolean; stream?: NodeJS.WriteStream } = {},
): void {
  const stream = options.stream ?? process.stdout;
  if (options.json) return void stream.write(`${JSON.stringify({ stack, store: where, revisions }, null, 2)}\n`);
  if (!revisions.length) return void stream.write(`stack ${stack} has no revisions in ${where}\n`);
  const table = [
    ['REV', 'KIND', 'RESULT', 'WHEN', 'WHO', 'COMMAND', 'CHANGES', 'COMMIT', 'HASH'],
    ...revisions.map((r) => [
      String(r.number),
      r.kind ?? 'apply',
      r.result,
      r.when,
      r.who,
      r.command,
      `+${r.plan.create} ±${r.plan.replace} ~${r.plan.update} -${r.plan.remove}`,
      r.commit?.slice(0, 12) ?? '-',
      r.hash.slice(0, 12),
    ]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  table.forEach((row, i) => {
    stream.write(
      `${row
        .map((cell, j) => cell.padEnd(widths[j]))
        .join('  ')
        .trimEnd()}\n`,
    );
    // Under a revision: how each of its rollouts ended, which replica failed and why.
    for (const line of i > 0 ? rolloutLines(revisions[i - 1].rollouts ?? []) : []) stream.write(`    ${line}\n`);
  });
}
