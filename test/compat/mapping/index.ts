/**
 * The comparison of one project: compose-go's JSON against stack's DesiredState through the mapping tables
 * (service.ts, resources.ts, top-level.ts). Each difference names where (`services.app.healthcheck`) and both values.
 */
import { isDeepStrictEqual } from 'node:util';
import type { DesiredState } from '../../../src/stack/types.js';
import type { ComposeProject } from '../compose-load.js';
import { SERVICE_FIELDS } from './service.js';
import { FILE_OBJECT_FIELDS, NETWORK_FIELDS, VOLUME_FIELDS } from './top-level.js';
import type { FieldMapping } from './types.js';
import type { Json } from './values.js';

export interface Difference {
  /** `services.app.healthcheck`, `networks.front.ipam`, `name`. */
  path: string;
  compose: unknown;
  stack: unknown;
}

/** JSON's view of a value: what compose-go and stack print are compared, not their in-memory forms. */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function compareObject<S>(path: string, rows: readonly FieldMapping<S>[], c: Json, s: S): Difference[] {
  const found: Difference[] = [];
  for (const row of rows) {
    const composeValue = plain(row.compose(c));
    if (composeValue === undefined) continue;
    const stackValue = plain(row.stack(s));
    if (!isDeepStrictEqual(composeValue, stackValue))
      found.push({ path: `${path}.${row.key}`, compose: composeValue, stack: stackValue });
  }
  return found;
}

function compareRecords<S>(
  kind: string,
  rows: readonly FieldMapping<S>[],
  composeRecords: Record<string, Json> | undefined,
  stackRecords: Record<string, S>,
): Difference[] {
  const c = composeRecords ?? {};
  const keys = (r: object) => Object.keys(r).sort();
  if (!isDeepStrictEqual(keys(c), keys(stackRecords)))
    return [{ path: kind, compose: keys(c), stack: keys(stackRecords) }];
  return keys(c).flatMap((key) => compareObject(`${kind}.${key}`, rows, c[key], stackRecords[key]));
}

/** Every field both represent that differs between compose-go's project and stack's; none: they agree. */
export function compareProjects(compose: ComposeProject, stack: DesiredState): Difference[] {
  return [
    ...(compose.name === stack.name ? [] : [{ path: 'name', compose: compose.name, stack: stack.name }]),
    ...compareRecords('services', SERVICE_FIELDS, compose.services, stack.services),
    ...compareRecords('networks', NETWORK_FIELDS, compose.networks, stack.networks),
    ...compareRecords('volumes', VOLUME_FIELDS, compose.volumes, stack.volumes),
    ...compareRecords('secrets', FILE_OBJECT_FIELDS, compose.secrets, stack.secrets),
    ...compareRecords('configs', FILE_OBJECT_FIELDS, compose.configs, stack.configs),
  ];
}
