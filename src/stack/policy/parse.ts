/**
 * The inventory's `policy:` (already checked by the JSON Schema, definitions.policy) into a Policy. Absent: the
 * built-in baseline, warnings only. The operator's `denied_paths` are added to the built-in ones, never replace
 * them (an allow entry is how a stack gets past one).
 */
import { isRecord, scalarText } from '../key-path.js';
import { BASELINE_POLICY, BUILT_IN_DENIED_PATHS, type AllowEntry, type Policy, type RuleId } from './types.js';

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(scalarText) : []);

function allowEntry(raw: unknown): AllowEntry[] {
  if (!isRecord(raw)) return [];
  const entry: AllowEntry = { stack: scalarText(raw.stack), rules: strings(raw.rules) as RuleId[] };
  if (raw.service !== undefined) entry.service = scalarText(raw.service);
  return [entry];
}

/** `raw`: the inventory's `policy:` value after the schema; `source`: the inventory as the operator sees it. */
export function parsePolicy(raw: unknown, source: string): Policy {
  if (!isRecord(raw)) return BASELINE_POLICY;
  const policy: Policy = {
    mode: raw.mode === 'enforce' ? 'enforce' : 'warn',
    source,
    deniedPaths: [...new Set([...BUILT_IN_DENIED_PATHS, ...strings(raw.denied_paths)])],
    allow: Array.isArray(raw.allow) ? raw.allow.flatMap(allowEntry) : [],
  };
  if (Array.isArray(raw.registries)) policy.registries = strings(raw.registries);
  return policy;
}
