/**
 * compose-go's JSON values in stack's units: Go durations (`1m30s`) in nanoseconds, sizes (strings of bytes) as
 * numbers, octal mode strings as numbers. Written here, not borrowed from src/stack/units.ts, so that a bug in
 * stack's parsers cannot hide itself.
 */
export type Json = Record<string, unknown>;

const UNIT_NS: Record<string, number> = { h: 3.6e12, m: 6e10, s: 1e9, ms: 1e6, us: 1e3, µs: 1e3, ns: 1 };

/** A Go duration string in nanoseconds; undefined stays undefined. */
export function goDuration(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value as string;
  if (text === '0' || text === '0s') return 0;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)/g))
    total += Number(amount) * UNIT_NS[unit];
  return Math.round(total);
}

/** compose-go's sizes and numbers-as-strings (`"67108864"`, `"10"`) as numbers. */
export function num(value: unknown): number | undefined {
  return value === undefined || value === null ? undefined : Number(value);
}

/** An octal mode as compose-go writes it (`"0440"`) or a number (1023) as a number. */
export function mode(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? parseInt(value, 8) : Number(value);
}

export function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Keys with undefined values dropped, so `{a: undefined}` equals `{}`. */
export function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** JSON with every object's keys sorted, so that two equal values print alike. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** A list compared as a set: each item as text, sorted. */
export function sorted(value: unknown[]): unknown[] {
  return [...value].map((v) => (typeof v === 'string' ? v : canonical(v))).sort();
}
