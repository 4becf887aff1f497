/** Canonical JSON: keys sorted, undefined/empty values dropped, so equal values give equal text. */
import { createHash } from 'node:crypto';

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object' && !Buffer.isBuffer(v)) return Object.keys(v).length === 0;
  return false;
}

/** Drops undefined/null, empty arrays and empty objects, recursively; sorts object keys. */
export function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prune);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = prune((value as Record<string, unknown>)[key]);
      if (!isEmpty(v)) out[key] = v;
    }
    return out;
  }
  return value;
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(prune(value));
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}
