/** `stack ps`: a table of the stack's containers, or one JSON document (its shape is in docs/operating.md). */
import pc from 'picocolors';
import type { PsRow } from '../../plan/ps.js';
import { useColor } from './color.js';
import { printable } from '../../observe/owner.js';

/** `3s`, `5m`, `2h10m`, `4d3h`: how long since `startedAt`, or `-`. */
export function uptime(startedAt: string | undefined, now: number): string {
  const t = startedAt ? Date.parse(startedAt) : NaN;
  if (!Number.isFinite(t)) return '-';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d${h % 24 ? `${h % 24}h` : ''}`;
}

const driftText = (d: boolean | null) => (d === null ? '?' : d ? 'drift' : '');
const stateText = (r: PsRow) =>
  `${r.state}${r.exitCode !== undefined && r.state === 'exited' ? ` (${r.exitCode})` : ''}${r.role === 'replica' ? '' : ` [${r.role}]`}`;
const imageText = (r: PsRow) =>
  r.digest && !r.image.includes('@') ? `${r.image}@${r.digest.replace(/^sha256:/, '').slice(0, 12)}` : r.image;

/** The table's lines (no colour, no control characters), header first. */
export function psTable(rows: readonly PsRow[], now: number): string[][] {
  return [
    ['SERVICE', 'HOST', 'STATE', 'HEALTH', 'IMAGE', 'PORTS', 'UP', 'RESTARTS', 'DRIFT'],
    ...rows.map(
      (r) =>
        [
          `${r.service}.${r.slot}`,
          r.host,
          stateText(r),
          r.health === 'none' ? '-' : r.health,
          imageText(r),
          r.ports.join(',') || '-',
          r.state === 'running' ? uptime(r.startedAt, now) : '-',
          r.restartCount === undefined ? '-' : String(r.restartCount),
          driftText(r.drift),
        ].map(printable), // names, slots and images come from labels anyone with Engine access can write
    ),
  ];
}

export function printPs(
  stack: string,
  rows: readonly PsRow[],
  options: { json?: boolean; stream?: NodeJS.WriteStream; now?: number } = {},
): void {
  const stream = options.stream ?? process.stdout;
  if (options.json) return void stream.write(`${JSON.stringify({ stack, containers: rows }, null, 2)}\n`);
  const c = pc.createColors(useColor(stream));
  const table = psTable(rows, options.now ?? Date.now());
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  table.forEach((cells, i) => {
    const text = cells
      .map((cell, j) => cell.padEnd(widths[j]))
      .join('  ')
      .trimEnd();
    const r = rows[i - 1];
    const ok = !r || (r.state === 'running' && r.health !== 'unhealthy' && r.drift !== true);
    stream.write(`${i === 0 ? c.bold(text) : ok ? text : c.yellow(text)}\n`);
  });
  if (!rows.length) stream.write(`no containers of stack ${stack}${'\n'}`);
}
