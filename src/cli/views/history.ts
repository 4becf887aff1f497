/** `stack history`: a table of revisions, or JSON. */
import type { RevisionSummary } from '../../state/types.js';

export function printHistory(stack: string, where: string, revisions: RevisionSummary[], options: { json?: boolean; stream?: NodeJS.WriteStream } = {}): void {
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
  for (const row of table) stream.write(`${row.map((cell, j) => cell.padEnd(widths[j])).join('  ').trimEnd()}\n`);
}
