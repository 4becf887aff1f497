/**
 * `volumes_from` and `external_links`, checked against the services and the hosts before any host is contacted: a
 * source service must exist, be enabled and not be the service itself; a container outside the stack
 * (`container:NAME`, an external link) is found by name on one daemon, so the service must be pinned to one host by
 * its placement constraints (or the stack have one host); external links need the service on a network (the Engine
 * resolves a link's alias through the network's DNS). Whether the container exists there is a plan-time check.
 */
import type { ServiceSpec } from '../types.js';
import { eligibleHosts } from '../normalise/constraints.js';
import type { CheckContext } from './context.js';

export function checkSharedContainers(context: CheckContext): void {
  for (const [name, service] of Object.entries(context.services)) {
    (service.volumesFrom ?? []).forEach((entry, index) => {
      const at = ['services', name, 'volumes_from', index];
      if (entry.kind === 'service') checkSource(context, name, entry.service, at);
      else checkPinned(context, service, `volumes_from container:${entry.container}`, at);
    });
    (service.externalLinks ?? []).forEach((link, index) => {
      const at = ['services', name, 'external_links', index];
      if (service.networkMode)
        context.problems.error(
          at,
          `external_links cannot be used with network_mode ${service.networkMode}: the Engine resolves a link on the service's networks`,
          { hint: 'remove network_mode and put the service on a network the container is on' },
        );
      else checkPinned(context, service, `external_links ${link.container}`, at);
    });
  }
}

function checkSource(context: CheckContext, name: string, source: string, at: (string | number)[]): void {
  const { services, disabledServices, problems } = context;
  if (source === name) problems.error(at, `service ${name} cannot take volumes_from itself`);
  else if (disabledServices.has(source))
    problems.error(at, `volumes_from names service ${source}, which is not enabled by the active profiles`, {
      hint: `enable its profile with --profile`,
    });
  else if (!services[source])
    problems.error(at, `volumes_from names service ${source}, which is not defined`, {
      hint: `defined services: ${Object.keys(services).join(', ')}; a container outside the stack is container:NAME`,
    });
}

/** A container outside the stack is looked up by name on one daemon: the service's replicas must all be on it. */
function checkPinned(context: CheckContext, service: ServiceSpec, what: string, at: (string | number)[]): void {
  if (!context.hosts.length) return;
  const eligible = eligibleHosts(context.hosts, service.deploy.constraints);
  if (eligible.length <= 1) return;
  context.problems.error(
    at,
    `${what}: a container outside the stack is on one host, but service ${service.name} may run on ${eligible.length} (${eligible.map((h) => h.name).join(', ')})`,
    {
      hint: `pin ${service.name} to the container's host with a placement constraint (node.hostname == ${eligible[0].name}), or use a service of the stack`,
    },
  );
}
