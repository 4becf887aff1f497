/** `stack status`: a table per service and host, or JSON. */
import pc from 'picocolors';
import type { StatusRow } from '../../plan/status.js';
import type { RevisionSummary } from '../../state/types.js';
import { useColor } from './color.js';

export function printStatus(
  stack: string,
  rows: StatusRow[],
  options: { json?: boolean; stream?: NodeJS.WriteStream; latest?: RevisionSummary } = {},
): void {
  const stream = options.stream ?? process.stdout;
  if (options.json)
    return void stream.write(
      `${JSON.stringify({ stack, deployed: deployedOf(options.latest), services: rows }, null, 2)}\n`,
    );
  const c = pc.createColors(useColor(stream));
  const table = [
    ['SERVICE', 'HOST', 'DESIRED', 'RUNNING', 'HEALTHY'],
    ...rows.map((r) => [
      r.service,
      r.host,
      String(r.desired),
      String(r.running),
      r.healthy === null ? '-' : String(r.healthy),
    ]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  table.forEach((row, i) => {
    const text = row
      .map((cell, j) => cell.padEnd(widths[j]))
      .join('  ')
      .trimEnd();
    const r = rows[i - 1];
    const ok =
      !r || (r.running === r.desired && r.containers === r.desired && (r.healthy === null || r.healthy === r.desired));
    stream.write(`${i === 0 ? c.bold(text) : ok ? text : c.yellow(text)}\n`);
  });
}

/** The newest revision as status --json shows it: its number, kind, result, when, and the git commit it came from. */
function deployedOf(latest: RevisionSummary | undefined): Record<string, unknown> | null {
  if (!latest) return null;
  return {
    revision: latest.number,
    kind: latest.kind ?? 'apply',
    result: latest.result,
    when: latest.when,
    command: latest.command,
    commit: latest.commit ?? null,
  };
}
