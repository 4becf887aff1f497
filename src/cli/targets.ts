/** `SERVICE[.N]` arguments of logs and exec, checked against the stack's services: an unknown one is an error. */
import { ExitError, type Diagnostic } from '../errors.js';
import type { DesiredState } from '../stack/types.js';
import { parseTarget, type Target } from '../streams/replicas.js';

export function targetsFrom(desired: DesiredState, args: readonly string[]): Target[] {
  const services = Object.keys(desired.services).sort();
  const problems: Diagnostic[] = [];
  const targets: Target[] = [];
  for (const arg of args) {
    const t = parseTarget(arg, services);
    if (t) targets.push(t);
    else
      problems.push({
        severity: 'error',
        summary: `stack ${desired.name} has no service ${JSON.stringify(arg)}`,
        hint: `name a service (${services.join(', ') || 'none'}), optionally with its replica number: SERVICE.N`,
      });
  }
  if (problems.length) throw new ExitError(1, problems);
  return targets;
}
