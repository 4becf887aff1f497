/**
 * Two containers cannot publish the same host port on the same host. Where a container runs is only known
 * statically when a service is global (every eligible host), pinned to a single eligible host, or there is one
 * host; a replicated service with more replicas than eligible hosts must put two on one host. Only those certain
 * clashes are reported; placement decides the rest.
 */
import type { PortSpec, ServiceSpec } from '../types.js';
import { eligibleHosts } from '../normalise/constraints.js';
import { publishedRange } from '../normalise/ports.js';
import type { CheckContext } from './context.js';

interface Published {
  service: string;
  index: number;
  port: PortSpec;
  range: [number, number];
}

export function checkPortConflicts({ services, hosts, problems }: CheckContext): void {
  const byHost = new Map<string, Published[]>();
  for (const [name, service] of Object.entries(services)) {
    if (service.networkMode === 'host') continue;
    const published = publishedPorts(name, service);
    if (!published.length) continue;
    const eligible = eligibleHosts(hosts, service.deploy.constraints);
    if (!eligible.length) continue;
    const certain = service.deploy.mode === 'global' || eligible.length === 1 ? eligible : [];
    if (service.deploy.mode === 'replicated' && service.deploy.replicas > eligible.length) {
      const p = published[0];
      problems.error(
        ['services', name, 'ports', p.index],
        `${service.deploy.replicas} replicas of ${name} publish host port ${p.port.published} but only ${eligible.length} host${eligible.length === 1 ? '' : 's'} can run them, so two would share a host`,
        {
          hint: 'drop the published port (let Docker pick one), lower replicas, or allow more hosts',
        },
      );
      continue;
    }
    for (const host of certain) {
      const list = byHost.get(host.name) ?? [];
      byHost.set(host.name, list);
      for (const p of published) {
        const clash = list.find((q) => overlaps(p, q));
        if (clash) {
          const same = clash.service === name;
          problems.error(
            ['services', name, 'ports', p.index],
            same
              ? `service ${name} publishes host port ${p.port.published}/${p.port.protocol} twice`
              : `host port ${p.port.published}/${p.port.protocol} on host ${host.name} is also published by service ${clash.service}`,
            {
              hint: same
                ? undefined
                : 'publish a different host port, or place the services on different hosts with constraints',
            },
          );
        } else list.push(p);
      }
    }
  }
}

function publishedPorts(service: string, spec: ServiceSpec): Published[] {
  const result: Published[] = [];
  spec.ports.forEach((port, index) => {
    const range = publishedRange(port);
    if (range) result.push({ service, index, port, range });
  });
  return result;
}

function overlaps(a: Published, b: Published): boolean {
  if (a.port.protocol !== b.port.protocol) return false;
  const anyIp = (ip?: string) => !ip || ip === '0.0.0.0' || ip === '::';
  if (!anyIp(a.port.hostIp) && !anyIp(b.port.hostIp) && a.port.hostIp !== b.port.hostIp) return false;
  return a.range[0] <= b.range[1] && b.range[0] <= a.range[1];
}
