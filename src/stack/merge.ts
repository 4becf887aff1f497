/**
 * Merges Compose files the way Compose does (`-f base.yaml -f prod.yaml`, and `extends`):
 * - mappings merge key by key, the later file winning for scalars;
 * - `command`, `entrypoint` and `healthcheck.test` are replaced, not appended;
 * - `environment`, `labels`, `sysctls`, `depends_on`, `networks`, `deploy.labels`, `logging.options`,
 *   `build.args` and `annotations` may be lists or maps in either file and merge as maps;
 * - `ports` (by host ip, published, target, protocol), `volumes`, `secrets` and `configs` (by target)
 *   replace entries with the same key and append the others;
 * - other lists are appended without repeating equal items;
 * - `!reset` removes a value, `!override` replaces it whole.
 * Positions travel with the values, so messages point into the file each value came from.
 */
import { isRecord, scalarText, type KeyPath } from './key-path.js';
import type { MergeTags } from './merge-tags.js';
import type { SourcePositions } from './source-positions.js';

export interface MergeContext {
  positions: SourcePositions;
  tags: MergeTags;
}

const REPLACED = new Set(['command', 'entrypoint', 'healthcheck.test']);
const MAP_LIKE = new Set([
  'environment',
  'labels',
  'sysctls',
  'depends_on',
  'networks',
  'deploy.labels',
  'logging.options',
  'build.args',
  'annotations',
]);
const UNIQUE_BY: Record<string, (item: unknown) => string> = {
  ports: portKey,
  volumes: volumeKey,
  secrets: (item) => fileGrantTarget(item, '/run/secrets/'),
  configs: (item) => fileGrantTarget(item, '/'),
};

/** Merges `override` over `base`; neither is modified. */
export function mergeTrees(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
  context: MergeContext,
): Record<string, unknown> {
  return mergeValue(base, override, [], context) as Record<string, unknown>;
}

/** Merges one service over another (for `extends`), with the same rules as files. */
export function mergeService(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
  context: MergeContext,
): Record<string, unknown> {
  return mergeValue(base, override, ['services', '_'], context) as Record<string, unknown>;
}

function serviceRule(path: KeyPath): string | undefined {
  if (path[0] !== 'services' || path.length < 3) return undefined;
  return path.slice(2).join('.');
}

export function mergeValue(base: unknown, override: unknown, path: KeyPath, context: MergeContext): unknown {
  const { tags } = context;
  if (override === tags.reset) return undefined;
  if (base === undefined || base === tags.reset) return override;
  if (override === undefined) return base;
  if (typeof override === 'object' && override !== null && tags.overrides.has(override)) return override;
  const rule = serviceRule(path);
  if (rule !== undefined && REPLACED.has(rule)) return override;
  if (rule !== undefined && MAP_LIKE.has(rule) && (Array.isArray(base) || Array.isArray(override))) {
    return mergeMaps(listToMap(base, rule, context), listToMap(override, rule, context), path, context);
  }
  if (isRecord(base) && isRecord(override)) return mergeMaps(base, override, path, context);
  if (override === null && isRecord(base)) return base;
  if (Array.isArray(base) && Array.isArray(override)) {
    const keyOf = rule !== undefined ? UNIQUE_BY[rule] : undefined;
    return keyOf ? mergeUnique(base, override, keyOf, context) : appendDistinct(base, override, context);
  }
  return override;
}

function mergeMaps(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
  path: KeyPath,
  context: MergeContext,
): Record<string, unknown> {
  const { positions } = context;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) {
    result[key] = value;
    positions.copy(base, key, result);
  }
  for (const [key, value] of Object.entries(override)) {
    const merged = mergeValue(result[key], value, [...path, key], context);
    if (merged === undefined) {
      delete result[key];
      continue;
    }
    result[key] = merged;
    positions.copy(override, key, result);
  }
  return result;
}

function appendDistinct(base: unknown[], override: unknown[], context: MergeContext): unknown[] {
  const result: unknown[] = [];
  const seen = new Set<unknown>();
  const take = (list: unknown[]) => {
    list.forEach((item, i) => {
      const scalar = typeof item !== 'object' || item === null;
      if (scalar && seen.has(item)) return;
      if (scalar) seen.add(item);
      context.positions.copy(list, i, result, result.length);
      result.push(item);
    });
  };
  take(base);
  take(override);
  return result;
}

function mergeUnique(
  base: unknown[],
  override: unknown[],
  keyOf: (item: unknown) => string,
  context: MergeContext,
): unknown[] {
  const result: unknown[] = [];
  const indexByKey = new Map<string, number>();
  base.forEach((item, i) => {
    indexByKey.set(keyOf(item), result.length);
    context.positions.copy(base, i, result, result.length);
    result.push(item);
  });
  override.forEach((item, i) => {
    const existing = indexByKey.get(keyOf(item));
    const at = existing ?? result.length;
    context.positions.copy(override, i, result, at);
    result[at] = item;
    if (existing === undefined) indexByKey.set(keyOf(item), at);
  });
  return result;
}

/** Turns the list form of a map-like key into its map form (`["A=1", "B"]` → `{A: "1", B: null}`). */
function listToMap(value: unknown, rule: string, context: MergeContext): Record<string, unknown> {
  if (isRecord(value)) return value;
  const result: Record<string, unknown> = {};
  if (!Array.isArray(value)) return result;
  value.forEach((item, i) => {
    const text = String(item);
    let key = text;
    let entry: unknown = null;
    if (rule === 'depends_on' || rule === 'networks') entry = {};
    else {
      const eq = text.indexOf('=');
      if (eq >= 0) {
        key = text.slice(0, eq);
        entry = text.slice(eq + 1);
      }
    }
    result[key] = entry;
    context.positions.copy(value, i, result, key);
  });
  return result;
}

function portKey(item: unknown): string {
  if (isRecord(item))
    return [item.host_ip ?? '', item.published ?? '', item.target ?? '', item.protocol ?? 'tcp']
      .map(scalarText)
      .join('|');
  const text = String(item);
  const [spec, protocol = 'tcp'] = text.split('/');
  const parts = spec.split(':');
  const target = parts.pop() ?? '';
  const published = parts.pop() ?? '';
  return [parts.join(':'), published, target, protocol].join('|');
}

function volumeKey(item: unknown): string {
  if (isRecord(item)) return scalarText(item.target ?? '');
  const parts = String(item).split(':');
  return parts.length >= 2 ? parts[1] : parts[0];
}

/** Where a secret or config lands: its target, or the default folder + its name. */
function fileGrantTarget(item: unknown, folder: string): string {
  const target = isRecord(item) ? scalarText(item.target ?? item.source ?? '') : String(item);
  return target.startsWith('/') ? target : folder + target;
}

/** Removes `!reset` markers left where nothing was merged. */
export function stripResets(value: unknown, tags: MergeTags): void {
  if (Array.isArray(value)) {
    for (const item of value) stripResets(item, tags);
  } else if (isRecord(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (child === tags.reset) delete value[key];
      else stripResets(child, tags);
    }
  }
}
