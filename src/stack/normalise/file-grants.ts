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
    if (long.uid !== undefined) grant.uid = scalarText(long.uid);
    if (long.gid !== undefined) grant.gid = scalarText(long.gid);
    if (long.mode !== undefined)
      grant.mode = typeof long.mode === 'number' ? long.mode : parseInt(scalarText(long.mode), 8);
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
