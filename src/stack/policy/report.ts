/**
 * Violations as diagnostics: a warning (mode warn, the default) or an error (mode enforce), each naming the rule,
 * the service and what it does, located where the offending key is, with the allow entry that would permit it as
 * inventory YAML the operator can paste.
 */
import type { Diagnostic, Location } from '../../errors.js';
import { formatKeyPath, type KeyPath } from '../key-path.js';
import type { DesiredState, PolicyReport } from '../types.js';
import { checkPolicy } from './check.js';
import { BASELINE_POLICY, type Policy, type Violation } from './types.js';

/** A name as a YAML scalar that reads back as that string (`123`, `true`, `null` would not, unquoted). */
function yamlName(name: string): string {
  return /^[A-Za-z][A-Za-z0-9_.-]*$/.test(name) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(name)
    ? name
    : JSON.stringify(name);
}

/** The inventory YAML of an allow entry for one violation. */
export function allowEntryYaml(stack: string, v: Pick<Violation, 'service' | 'rule'>): string {
  return [
    'policy:',
    '  allow:',
    `    - stack: ${yamlName(stack)}`,
    `      service: ${yamlName(v.service)}`,
    `      rules: [${v.rule}]`,
  ].join('\n');
}

function hintFor(policy: Policy): string {
  if (policy.mode === 'enforce')
    return `the policy in ${policy.source ?? 'the inventory'} refuses it (mode: enforce); if the operator accepts it, add the allow entry above to that file (only the inventory can allow it, never the stack file)`;
  const why = policy.source
    ? `the policy in ${policy.source} only warns (mode: warn)`
    : "no policy: is set (it lives in the operator's inventory, -i), so every rule only warns";
  return `${why}; with mode: enforce this would be refused. To accept it, add the allow entry above to the inventory (docs/policy.md)`;
}

/** One diagnostic per violation; `locate` turns a key path of the stack into a location (file:line:col, or a revision). */
export function policyDiagnostics(
  stack: string,
  violations: readonly Violation[],
  policy: Policy,
  locate: (path: KeyPath) => Location,
): Diagnostic[] {
  const severity = policy.mode === 'enforce' ? 'error' : 'warning';
  return violations.map((v) => ({
    severity,
    summary: `policy rule ${v.rule}: service ${v.service} ${v.what}`,
    detail: allowEntryYaml(stack, v),
    hint: hintFor(policy),
    where: locate(v.path),
    rule: v.rule,
  }));
}

/** The stack checked against `policy`, each violation located by `locate`. */
export function policyReport(
  desired: Pick<DesiredState, 'name' | 'services' | 'volumes'>,
  policy: Policy,
  locate: (path: KeyPath) => Location,
): PolicyReport {
  return { policy, diagnostics: policyDiagnostics(desired.name, checkPolicy(desired, policy), policy, locate) };
}

/**
 * A revision restored by `stack rollback`, checked against today's policy (the one loaded with the current
 * inventory, which `restored` carries from it), never the policy of the day it was recorded.
 */
export function restoredPolicyReport(restored: DesiredState, where: string): PolicyReport {
  const policy = restored.policy?.policy ?? BASELINE_POLICY;
  return policyReport(restored, policy, (path) => ({ file: where, path: formatKeyPath(path) }));
}
