/**
 * Names the fields that differ between two normalised configs. Nothing sensitive is ever shown: secret and config
 * contents only as "changed"; the environment, which labels hold only as keyed HMACs, as which variables were
 * added, removed or changed — with the new value for a variable that is not sensitive, `(sensitive)` for one that is.
 */
import type { FieldChange } from './types.js';
import type { EnvironmentValues, ServiceConfig } from './config.js';

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

export function diffConfigs(
  before: unknown,
  after: unknown,
  prefix = '',
  environment?: EnvironmentValues,
): FieldChange[] {
  if (prefix === 'environment' && environment) return diffEnvironment(before, after, environment);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffConfigs(before[k], after[k], join(prefix, k), environment));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (isObject(before) && after === undefined) return diffConfigs(before, {}, prefix, environment);
  if (isObject(after) && before === undefined) return diffConfigs({}, after, prefix, environment);
  if (isSensitivePath(prefix)) return [{ path: prefix, sensitive: true }];
  return [{ path: prefix, before, after }];
}

/** A container's config label against the service's config: the environment compared by its HMACs. */
export function diffServiceConfig(before: Record<string, unknown>, after: ServiceConfig): FieldChange[] {
  return diffConfigs(before, after.config, '', after.environment);
}

/**
 * The environment: the label's entries are HMACs (or, on containers made before issue 14, values — never shown
 * either), so the old value is never displayed; the new one only when it is not sensitive.
 */
function diffEnvironment(before: unknown, after: unknown, values: EnvironmentValues): FieldChange[] {
  const was = isObject(before) ? before : {};
  const now = isObject(after) ? after : {};
  const names = [...new Set([...Object.keys(was), ...Object.keys(now)])].sort();
  return names.flatMap((name): FieldChange[] => {
    if (was[name] === now[name]) return [];
    const path = join('environment', name);
    const value = values[name];
    const change = !(name in was) ? 'added' : !(name in now) || value === undefined ? 'removed' : 'changed';
    if (change === 'removed') return [{ path, change }];
    if (typeof value !== 'string') return [{ path, sensitive: true, change }];
    return change === 'added' ? [{ path, before: undefined, after: value, change }] : [{ path, after: value, change }];
  });
}

function show(v: unknown): string {
  if (v === undefined) return '(none)';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** `environment.RELEASE: changed, now "v2"`, `environment.DB_PASSWORD: (sensitive value changed)`. */
export function formatFieldChange(f: FieldChange): string {
  if (f.sensitive && f.change === 'added') return `${f.path}: (none) → (sensitive)`;
  if (f.sensitive) return `${f.path}: (sensitive value changed)`;
  if (f.change === 'removed') return `${f.path}: removed`;
  if (f.change === 'changed') return `${f.path}: changed, now ${show(f.after)}`;
  return `${f.path}: ${show(f.before)} → ${show(f.after)}`;
}
