/**
 * `stack hosts check`: a table per host (reachable, ping, Engine and API version, platform, kernel, clock skew, free
 * disk of the data root, the overlay paths that work there, labels), the overlay stack would use, the UDP 4789
 * matrix, and notes for what failed or was not checked; or the report as JSON.
 */
import pc from 'picocolors';
import type { HostReport, HostsCheckReport, Outcome, UdpPath } from '../../hosts/types.js';
import { useColor } from './color.js';

const ms = (n: number | undefined) => (n === undefined ? '-' : n < 10 ? `${n.toFixed(1)}ms` : `${Math.round(n)}ms`);

/** Bytes in the largest binary unit that keeps a number ≥ 1 (one decimal). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** A skew as `+12ms` / `-3ms` (the reading's uncertainty is in the JSON). */
export function formatSkew(skewMs: number | undefined): string {
  if (skewMs === undefined) return '-';
  const r = Math.round(skewMs);
  return `${r >= 0 ? '+' : ''}${r}ms`;
}

const yesNo = (o: Outcome<unknown>) => (o.status === 'ok' ? 'yes' : o.status === 'failed' ? 'no' : '-');
const labelText = (labels: Record<string, string>) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(' ') || '-';

export function hostRow(h: HostReport): string[] {
  const e = h.engine;
  return [
    h.name,
    h.reachable ? 'yes' : 'no',
    ms(h.latencyMs),
    e?.version ?? '-',
    e?.apiVersion ?? '-',
    e?.platform ?? '-',
    e?.kernel ?? '-',
    formatSkew(h.clock?.skewMs),
    h.disk.status === 'ok' ? formatBytes(h.disk.value.availableBytes) : '-',
    yesNo(h.overlay.engine),
    yesNo(h.overlay.own),
    labelText(h.labels),
  ];
}

const HEADER = [
  'HOST',
  'REACHABLE',
  'PING',
  'ENGINE',
  'API',
  'PLATFORM',
  'KERNEL',
  'CLOCK',
  'DISK FREE',
  'ENGINE OVERLAY',
  'OWN OVERLAY',
  'LABELS',
];

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r
      .map((cell, j) => cell.padEnd(widths[j]))
      .join('  ')
      .trimEnd(),
  );
}

const udpCell = (p: UdpPath | undefined) =>
  !p ? '-' : p.status === 'ok' ? 'ok' : p.status === 'lost' ? 'LOST' : 'untested';

/** Rows: receiving host; columns: sending host. */
export function udpMatrix(hosts: HostReport[]): string[] {
  const probed = hosts.filter((h) => Object.keys(h.udpFrom).length);
  if (!probed.length) return [];
  const rows = [
    ['RECEIVED AT \\ FROM', ...probed.map((h) => h.name)],
    ...probed.map((to) => [to.name, ...probed.map((from) => (from === to ? '-' : udpCell(to.udpFrom[from.name])))]),
  ];
  return table(rows);
}

/** One line per check that failed or could not be made on a reachable host, with why. */
export function notes(report: HostsCheckReport): string[] {
  const out: string[] = [];
  for (const h of report.hosts) {
    if (!h.reachable) continue;
    const add = (what: string, o: Outcome<unknown>) => {
      if (o.status === 'failed') out.push(`${h.name}: ${what}: ${o.error}`);
      else if (o.status === 'skipped') out.push(`${h.name}: ${what} not checked: ${o.why}`);
    };
    add("engine's overlay", h.overlay.engine);
    add("stack's own overlay", h.overlay.own);
    add('disk', h.disk);
    for (const [from, p] of Object.entries(h.udpFrom))
      if (p.status === 'untested') out.push(`${h.name}: UDP 4789 from ${from} not tested: ${p.why}`);
    if (h.pulledImage) out.push(`${h.name}: the helper image was pulled for the probe`);
  }
  return out;
}

export function printHostsCheck(
  report: HostsCheckReport,
  options: { json?: boolean; stream?: NodeJS.WriteStream } = {},
): void {
  const stream = options.stream ?? process.stdout;
  if (options.json) return void stream.write(`${JSON.stringify(report, null, 2)}\n`);
  const c = pc.createColors(useColor(stream));
  const lines = table([HEADER, ...report.hosts.map(hostRow)]);
  lines.forEach((line, i) => {
    const h = report.hosts[i - 1];
    const bad = h && (!h.reachable || report.findings.some((f) => f.severity === 'error' && f.host === h.name));
    stream.write(`${i === 0 ? c.bold(line) : bad ? c.red(line) : line}\n`);
  });
  const path = report.overlay.path === 'engine' ? "the engine's (cluster store)" : "stack's own (VXLAN, UDP 4789)";
  stream.write(
    `\noverlay: ${path} — ${report.overlay.why}; ${report.needs.overlay ? 'needed' : 'not needed'}: ${report.needs.why}\n`,
  );
  const matrix = udpMatrix(report.hosts);
  if (matrix.length) stream.write(`\nVXLAN datagrams (UDP 4789):\n${matrix.map((l) => `  ${l}`).join('\n')}\n`);
  const n = notes(report);
  if (n.length) stream.write(`\nnotes:\n${n.map((l) => `  ${l}`).join('\n')}\n`);
  stream.write(`\n${report.ok ? c.green('ok') : c.red('not ok')}: ${report.hosts.length} host(s) checked\n`);
}
