/**
 * Labels under stack's own prefix (src/labels.ts) are stack's to write: they say which stack and which identity
 * an object belongs to. A stack file that sets one could make its containers, networks or volumes pass for
 * another stack's (or hide its own), so every such label is refused where it is written.
 */
import { LABEL_PREFIX } from '../labels.js';
import { isRecord } from './key-path.js';
import type { Problems } from './problems.js';

const RESERVED = `${LABEL_PREFIX}.`;

function reserved(key: string): boolean {
  return key === LABEL_PREFIX || key.startsWith(RESERVED);
}

/** The reserved keys of a labels value (map, or list of `key=value`), each with the path segment it is written at. */
function reservedKeys(labels: unknown): { key: string; at: string | number }[] {
  if (isRecord(labels))
    return Object.keys(labels)
      .filter(reserved)
      .map((key) => ({ key, at: key }));
  if (!Array.isArray(labels)) return [];
  return labels.flatMap((entry, i) =>
    typeof entry === 'string' && reserved(entry.split('=')[0].trim())
      ? [{ key: entry.split('=')[0].trim(), at: i }]
      : [],
  );
}

/** Reports every label under stack's prefix in services, networks and volumes (container, network and volume labels). */
export function refuseReservedLabels(root: Record<string, unknown>, problems: Problems): void {
  for (const kind of ['services', 'networks', 'volumes']) {
    const objects = root[kind];
    if (!isRecord(objects)) continue;
    for (const [name, spec] of Object.entries(objects)) {
      if (!isRecord(spec)) continue;
      for (const { key, at } of reservedKeys(spec.labels))
        problems.error(
          [kind, name, 'labels', at],
          `label ${key} is reserved: labels under ${RESERVED}* are written by stack to mark what it owns`,
          {
            atKey: typeof at === 'string',
            hint: 'remove it, or use a label of your own prefix',
          },
        );
    }
  }
}
