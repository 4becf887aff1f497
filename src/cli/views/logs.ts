/**
 * `stack logs` output: `service.N@host | line` with the prefix in a colour fixed by the replica's name (the same
 * every run), `--timestamps` adding the daemon's time; `--json` one object a line (service, slot, host, stream,
 * time, line). Host notices go to stderr, one line each.
 */
import pc from 'picocolors';
import type { LogLine } from '../../streams/log-line.js';
import type { LogNotice, LogsOutput } from '../../streams/logs-output.js';
import { unreachable } from '../../plan/types.js';
import { useColor } from './color.js';

const PALETTE = ['cyan', 'yellow', 'green', 'magenta', 'blue', 'red'] as const;

export interface LogsViewOptions {
  json: boolean;
  timestamps: boolean;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

export const prefixOf = (l: Pick<LogLine, 'replica'>): string =>
  `${l.replica.service}.${l.replica.slot}@${l.replica.host}`;

/** A stable colour per replica name (service.slot): a small string hash into the palette. */
export function colourIndex(name: string): number {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % PALETTE.length;
}

export function formatNotice(n: LogNotice): string {
  switch (n.kind) {
    case 'unreachable':
      return `host ${n.host} is unreachable: ${n.message}`;
    case 'reachable':
      return `host ${n.host} is reachable again: reading its replicas from their last line`;
    case 'failed':
      return `host ${n.host}: could not read the logs of ${n.container}: ${n.message}`;
    default:
      return unreachable(n);
  }
}

export function logsView(options: LogsViewOptions): LogsOutput & { notices: LogNotice[] } {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const c = pc.createColors(!options.json && useColor(stdout));
  const notices: LogNotice[] = [];
  let width = 0; // the longest prefix known so far: the history's replicas, then any that join
  return {
    notices,
    begin(replicas) {
      for (const replica of replicas) width = Math.max(width, prefixOf({ replica }).length);
    },
    line(l) {
      if (options.json) {
        const { service, slot, host } = l.replica;
        return void stdout.write(
          `${JSON.stringify({ service, slot, host, stream: l.stream, time: l.time, line: l.text })}\n`,
        );
      }
      const prefix = prefixOf(l);
      width = Math.max(width, prefix.length);
      const colour = c[PALETTE[colourIndex(`${l.replica.service}.${l.replica.slot}`)]];
      const time = options.timestamps ? `${l.time} ` : '';
      stdout.write(`${colour(`${prefix.padEnd(width)} |`)} ${time}${l.text}\n`);
    },
    notice(n) {
      notices.push(n);
      const cc = pc.createColors(useColor(stderr));
      stderr.write(`${cc.yellow(cc.bold('warning'))}: ${formatNotice(n)}\n`);
    },
  };
}
