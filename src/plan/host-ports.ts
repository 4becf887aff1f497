/**
 * Host ports at plan time: a container the plan creates must not publish a host port that a foreign container
 * (another stack's, hand-made, anyone's but this stack identity's) already publishes on that host — the create
 * or start would fail halfway through an apply. Stack never stops a foreign container, so any holder is an
 * error before any write. Only running containers publish ports (the list shows none for a stopped one: a
 * stopped holder is found when it starts again, by Docker). The stack's own containers are left to the plan:
 * it removes or replaces them itself. Pure.
 */
import type { DesiredState, PortSpec } from '../stack/types.js';
import type { ObservedState, PublishedPort } from '../observe/types.js';
import { publishedRange } from '../stack/normalise/ports.js';
import { error, type Diagnostic } from '../errors.js';
import type { Operation } from './types.js';

const anyIp = (ip: string | undefined) => !ip || ip === '0.0.0.0' || ip === '::';

function clashes(want: PortSpec, range: [number, number], held: PublishedPort): boolean {
  if (want.protocol !== held.protocol) return false;
  if (!anyIp(want.hostIp) && !anyIp(held.hostIp) && want.hostIp !== held.hostIp) return false;
  return range[0] <= held.port && held.port <= range[1];
}

export function hostPortConflicts(
  desired: DesiredState,
  observed: ObservedState,
  ops: readonly Operation[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const reported = new Set<string>();
  for (const op of ops) {
    if (op.kind !== 'container.create' || !op.resource.startsWith('service:')) continue;
    const service = desired.services[op.resource.split(':')[1]];
    const holders = observed.hosts[op.host]?.foreignContainers ?? [];
    if (!service || service.networkMode === 'host' || !holders.length) continue;
    service.ports.forEach((want, index) => {
      const range = publishedRange(want);
      if (!range) return;
      for (const c of holders)
        for (const held of c.ports ?? []) {
          const key = `${op.host} ${service.name} ${index} ${c.name}`;
          if (!clashes(want, range, held) || reported.has(key)) continue;
          reported.add(key);
          out.push(
            error(
              `host port ${held.port}/${held.protocol} on ${op.host} is already published by container ${c.name} (not this stack's), so ${service.name} cannot publish it there`,
              { host: op.host, path: `services.${service.name}.ports[${index}]` },
              `publish another host port, keep ${service.name} off ${op.host} with a placement constraint, or stop ${c.name}`,
            ),
          );
        }
    });
  }
  return out;
}
