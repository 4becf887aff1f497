/** Durations, sizes and CPU counts as Compose writes them, converted to nanoseconds, bytes and nano-CPUs. */

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const DURATION_PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|\u00b5s|ms|s|m|h)/y;

/** `1m30s` → 90e9; a bare number is seconds; undefined when the text is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1e9) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '0') return 0;
  if (!text) return undefined;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  let index = 0;
  while (index < text.length) {
    DURATION_PART.lastIndex = index;
    const match = DURATION_PART.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * DURATION_UNITS[match[2]];
    index = DURATION_PART.lastIndex;
  }
  return Math.round(total);
}

const SIZE = /^([0-9]+(?:\.[0-9]+)?) ?([bkmgtp])?(i?b)?$/i;
const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** `512m` → 536870912 (units are powers of 1024, like the docker CLI); a bare number is bytes. */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = SIZE.exec(value.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 'b').toLowerCase();
  if (unit === 'b' && match[3] && match[3].toLowerCase() === 'ib') return undefined;
  return Math.round(Number(match[1]) * SIZE_UNITS[unit]);
}

/** `1.5` or `"0.25"` → nano-CPUs (1.5e9); undefined when not a positive number. */
export function parseCpus(value: unknown): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^[0-9]*\.?[0-9]+$/.test(value.trim())
        ? Number(value)
        : NaN;
  if (!Number.isFinite(n) || n < 0) return undefined;
  return Math.round(n * 1e9);
}
