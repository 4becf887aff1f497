/**
 * The policy check: every rule over every service of a stack, minus what the allow entries permit. Pure; the same
 * function runs on a loaded stack (load.ts) and on a revision restored by `stack rollback`, always with today's
 * policy. Only the operator's Policy decides: nothing in the DesiredState can allow itself a rule.
 */
import type { DesiredState } from '../types.js';
import { FINDERS } from './rules.js';
import { RULE_IDS, type AllowEntry, type Policy, type RuleId, type Violation } from './types.js';

/** The allow entry that permits `rule` for this service of this stack, if any. */
export function allowEntryFor(policy: Policy, stack: string, service: string, rule: RuleId): AllowEntry | undefined {
  return policy.allow.find(
    (a) => a.stack === stack && (a.service === undefined || a.service === service) && a.rules.includes(rule),
  );
}

/** The violations no allow entry permits, by service name, then rule (in RULE_IDS order), then where. */
export function checkPolicy(desired: Pick<DesiredState, 'name' | 'services' | 'volumes'>, policy: Policy): Violation[] {
  const violations: Violation[] = [];
  for (const name of Object.keys(desired.services).sort()) {
    const service = desired.services[name];
    for (const rule of RULE_IDS)
      for (const v of FINDERS[rule](service, desired, policy))
        if (!allowEntryFor(policy, desired.name, v.service, v.rule)) violations.push(v);
  }
  return violations;
}
