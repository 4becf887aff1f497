/**
 * --since and --until as the Engine takes them: an RFC 3339 time or unix seconds pass as they are; an age
 * (`10m`, `1h30m`, `90s`) becomes unix seconds that long before now.
 */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../stack/units.js';

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d)$/;

export function engineTime(value: string, now: number = Date.now()): string {
  if (/^[0-9]{1,12}(\.[0-9]{1,9})?$/.test(value)) return value;
  if (RFC3339.test(value) && !Number.isNaN(Date.parse(value))) return value;
  const age = /^[0-9]/.test(value) ? parseDuration(value) : undefined;
  if (age !== undefined) return ((now - age / 1e6) / 1000).toFixed(3); // age in nanoseconds
  throw new InvalidArgumentError(
    'must be an RFC 3339 time (2026-12-06T10:00:00Z), unix seconds (1765015200) or an age (10m, 1h30m)',
  );
}
