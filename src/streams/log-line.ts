/**
 * One line of a replica's log as stack reads it: the Engine's timestamp (RFC 3339 with nanoseconds, asked for on
 * every logs call) parsed into a key that sorts as time does, whatever the number of fraction digits.
 */
import type { StreamName } from '../docker/frames.js';

/** A log line's replica: its service, slot (`1`… or the host in global mode), host and container. */
export interface ReplicaRef {
  service: string;
  slot: string;
  host: string;
  /** Container id. */
  id: string;
}

export interface LogLine {
  replica: ReplicaRef;
  stream: StreamName;
  /** The daemon's timestamp as it wrote it (`2026-12-06T00:01:02.123456789Z`). */
  time: string;
  /** `time` with a 9-digit fraction: compares as strings in time order. */
  key: string;
  text: string;
}

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z /;

/** Splits `<timestamp> <text>`; a line without a timestamp (none is expected) sorts first, keeping its order. */
export function parseStamped(line: string): { time: string; key: string; text: string } {
  const m = STAMP.exec(line);
  if (!m) return { time: '', key: '', text: line };
  const fraction = (m[2] ?? '').padEnd(9, '0');
  return { time: line.slice(0, m[0].length - 1), key: `${m[1]}.${fraction}Z`, text: line.slice(m[0].length) };
}

/** The Engine's `since` for "after this key": unix seconds with nanoseconds (the Engine's `since` is inclusive). */
export function sinceOf(key: string): string {
  const [whole, fraction] = key.slice(0, -1).split('.');
  const seconds = Math.floor(Date.parse(`${whole}Z`) / 1000);
  return `${seconds}.${fraction ?? '000000000'}`;
}

/** Stable sort by timestamp: lines with equal keys keep their order (each replica's own order). */
export function byTime(lines: readonly LogLine[]): LogLine[] {
  return lines
    .map((line, i) => ({ line, i }))
    .sort((a, b) => (a.line.key < b.line.key ? -1 : a.line.key > b.line.key ? 1 : a.i - b.i))
    .map((x) => x.line);
}
