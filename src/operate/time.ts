/** `--since`/`--until` of the operating commands: a point in time as the Engine's query wants it. Pure. */
import { parseDuration } from '../stack/units.js';

/**
 * `10m`, `1h30m` (that long before `now`), an RFC 3339 date or time (`2026-12-06T00:40:00Z`), or Unix seconds
 * (`1796517600`, fractions allowed) → Unix seconds with nanoseconds (`1796517600.000000000`); undefined when the text is
 * none of these.
 */
export function engineTime(text: string, now: number): string | undefined {
  const t = text.trim();
  let ms: number;
  if (/^[0-9]+(\.[0-9]+)?$/.test(t)) ms = Number(t) * 1000;
  else if (/^[0-9]/.test(t) && /[a-z]$/i.test(t) && !/^[0-9]{4}-/.test(t)) {
    const ns = parseDuration(t);
    if (ns === undefined) return undefined;
    ms = now - ns / 1e6;
  } else if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(t)) ms = Date.parse(t);
  else return undefined;
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return unixSeconds(ms);
}

/** Milliseconds since the epoch → `SECONDS.NANOSECONDS`. */
export function unixSeconds(ms: number): string {
  const whole = Math.floor(ms / 1000);
  const nanos = Math.round((ms - whole * 1000) * 1e6);
  return `${whole}.${String(nanos).padStart(9, '0')}`;
}
