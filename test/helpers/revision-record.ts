/** A revision record as an apply stores it, for the state store's tests: `services` and the rest as given. */
import { hashStored } from '../../src/state/revision.js';
import type { RevisionRecord } from '../../src/state/types.js';

export function revisionRecord(
  number: number,
  options: { name?: string; services?: Record<string, unknown>; when?: string } = {},
): RevisionRecord {
  const desired = {
    name: options.name ?? 's',
    workingDir: '/w',
    services: options.services ?? {},
    networks: {},
    volumes: {},
    configs: {},
    secrets: {},
  };
  return {
    number,
    hash: hashStored(desired),
    result: 'ok',
    command: 'apply',
    who: 'me@here',
    when: options.when ?? new Date(number * 1000).toISOString(),
    plan: { create: 1, replace: 0, update: 0, remove: 0, operations: 1 },
    desired,
  };
}
