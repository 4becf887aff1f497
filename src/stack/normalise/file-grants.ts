/** A service's `secrets:` and `configs:` (short `- name` or long `{source, target, uid, gid, mode}`). */
import type { FileGrantSpec } from '../types.js';
import { isRecord, scalarText, type KeyPath } from '../key-path.js';
import type { NormaliseContext } from './context.js';

export function normaliseGrants(
  value: unknown,
  kind: 'secret' | 'config',
  at: KeyPath,
  context: NormaliseContext,
): FileGrantSpec[] {
  if (!Array.isArray(value)) return [];
  const declared = kind === 'secret' ? context.declared.secrets : context.declared.configs;
  const grants: FileGrantSpec[] = [];
  value.forEach((entry, i) => {
    const long: Record<string, unknown> = isRecord(entry) ? entry : { source: entry };
    const source = String(long.source);
    if (!declared.has(source)) {
      context.problems.error(
        isRecord(entry) ? [...at, i, 'source'] : [...at, i],
        `${kind} "${source}" is not declared under the top-level ${kind}s:`,
        {
          hint: `add ${kind}s: { ${source}: { file: ./${source}.txt } }`,
        },
      );
    }
    const grant: FileGrantSpec = { source, target: target(kind, source, long.target) };
    for (const key of ['uid', 'gid'] as const) {
      if (long[key] === undefined) continue;
      grant[key] = scalarText(long[key]);
      if (!/^\d{1,10}$/.test(grant[key]) || Number(grant[key]) > 0xffffffff)
        context.problems.error(
          [...at, i, key],
          `${key} ${grant[key]} is not a numeric ${key === 'uid' ? 'user' : 'group'} id`,
          {
            hint: `write the number, e.g. ${key}: "1000" (names are not resolved: the file is written before the container exists)`,
          },
        );
    }
    if (long.mode !== undefined) {
      grant.mode = typeof long.mode === 'number' ? long.mode : parseInt(scalarText(long.mode), 8);
      if (!Number.isInteger(grant.mode) || grant.mode < 0 || grant.mode > 0o777)
        context.problems.error([...at, i, 'mode'], `mode ${scalarText(long.mode)} is not a file mode from 0 to 0777`, {
          hint: 'an octal mode such as 0400 or 0440',
        });
    }
    grants.push(grant);
  });
  return grants;
}

function target(kind: 'secret' | 'config', source: string, written: unknown): string {
  if (typeof written === 'string' && written) {
    if (written.startsWith('/')) return written;
    return kind === 'secret' ? `/run/secrets/${written}` : `/${written}`;
  }
  return kind === 'secret' ? `/run/secrets/${source}` : `/${source}`;
}
