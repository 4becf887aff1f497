/** Names the fields that differ between two normalised configs; secret and config contents are never shown. */
import type { FieldChange } from './types.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** `secrets.db.content`, `configs.app.content`: only that they changed. */
export function isSensitivePath(path: string): boolean {
  return /^(secrets|configs)\.[^.]+\.content$/.test(path);
}

const PATH_KEY = /^[A-Za-z0-9_-]+$/;

function join(prefix: string, key: string): string {
  const k = PATH_KEY.test(key) ? key : JSON.stringify(key);
  return prefix ? `${prefix}.${k}` : k;
}

export function diffConfigs(before: unknown, after: unknown, prefix = ''): FieldChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffConfigs(before[k], after[k], join(prefix, k)));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (isObject(before) && after === undefined) return diffConfigs(before, {}, prefix);
  if (isObject(after) && before === undefined) return diffConfigs({}, after, prefix);
  if (isSensitivePath(prefix)) return [{ path: prefix, sensitive: true }];
  return [{ path: prefix, before, after }];
}

function show(v: unknown): string {
  if (v === undefined) return '(none)';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** `environment.RELEASE: "v1" → "v2"`, `secrets.db.content: (changed)`. */
export function formatFieldChange(f: FieldChange): string {
  if (f.sensitive) return `${f.path}: (sensitive value changed)`;
  return `${f.path}: ${show(f.before)} → ${show(f.after)}`;
}
