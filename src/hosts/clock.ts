/**
 * Clock readings (pure): a daemon's `/info` SystemTime against the local clock at the request's midpoint, and each
 * host's skew against the others (its offset minus the median offset), so one host whose clock is off stands out
 * even when this machine's clock is off too.
 */
import type { ClockReading } from './types.js';

/** Beyond this skew against the others, the check warns (TLS validity, Consul sessions and logs go wrong). */
export const SKEW_WARNING_MS = 1000;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 time with up to nanoseconds (as dockerd writes SystemTime) → ms since the epoch; undefined if not one. */
export function parseSystemTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zone] = m;
  const whole = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone}`);
  if (Number.isNaN(whole)) return undefined;
  return whole + Number(`0.${fraction || '0'}`) * 1000;
}

/** The host's offset from a request sent at `start` and answered at `end` (local ms), the host saying `hostMs`. */
export function clockReading(hostMs: number, start: number, end: number): ClockReading {
  return { offsetMs: hostMs - (start + end) / 2, uncertaintyMs: Math.max(0, (end - start) / 2) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Each host's skew against the others: its offset minus the median of all offsets (0 for a single host). */
export function skews(readings: Record<string, ClockReading>): Record<string, number> {
  const offsets = Object.values(readings).map((r) => r.offsetMs);
  if (!offsets.length) return {};
  const m = median(offsets);
  return Object.fromEntries(Object.entries(readings).map(([host, r]) => [host, r.offsetMs - m]));
}

/** Is a skew beyond what the reading's uncertainty and SKEW_WARNING_MS allow? */
export function skewTooLarge(skewMs: number, uncertaintyMs: number): boolean {
  return Math.abs(skewMs) - uncertaintyMs > SKEW_WARNING_MS;
}
