/**
 * --since and --until as the Engine takes them (unix seconds): unix seconds pass as they are, an RFC 3339 time is
 * converted (nanoseconds kept); an age (`10m`, `1h30m`, `90s`) becomes unix seconds that long before now.
 */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../stack/units.js';

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** An RFC 3339 time as unix seconds with its nanoseconds (the Engine's API takes only unix times). */
function unixOf(value: string): string | undefined {
  const m = RFC3339.exec(value);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  return m && !Number.isNaN(ms) ? `${Math.floor(ms / 1000)}.${(m[2] ?? '').padEnd(9, '0')}` : undefined;
}

export function engineTime(value: string, now: number = Date.now()): string {
  if (/^[0-9]{1,12}(\.[0-9]{1,9})?$/.test(value)) return value;
  const unix = unixOf(value);
  if (unix !== undefined) return unix;
  const age = /^[0-9]/.test(value) ? parseDuration(value) : undefined;
  if (age !== undefined) return ((now - age / 1e6) / 1000).toFixed(3); // age in nanoseconds
  throw new InvalidArgumentError(
    'must be an RFC 3339 time (2026-12-06T10:00:00Z), unix seconds (1765015200) or an age (10m, 1h30m)',
  );
}
