/**
 * What a service takes from other containers: `volumes_from` (another service's replica on the same host, or a
 * container outside the stack) and `external_links` (containers outside the stack under an alias). The schema has
 * checked the forms; where these containers are is checked against the hosts (src/stack/checks/shared-containers.ts)
 * and at plan time (src/plan/shared-container-checks.ts). A service named in `volumes_from` becomes an implicit
 * `depends_on` (service_started), as compose-go makes it, so its replicas start first.
 */
import type { ExternalLinkSpec, ServiceSpec, VolumesFromSpec } from '../types.js';
import { sortKeys } from '../hosts.js';

export function sharedContainers(spec: ServiceSpec, service: Record<string, unknown>): void {
  if (Array.isArray(service.volumes_from) && service.volumes_from.length) {
    spec.volumesFrom = service.volumes_from.map((v) => parseVolumesFrom(String(v)));
    implicitDependencies(spec, spec.volumesFrom);
  }
  if (Array.isArray(service.external_links) && service.external_links.length)
    spec.externalLinks = service.external_links.map((v) => parseExternalLink(String(v)));
}

/** `SERVICE[:ro|rw]` or `container:NAME[:ro|rw]`; rw when no mode is given. */
export function parseVolumesFrom(text: string): VolumesFromSpec {
  const parts = text.split(':');
  if (parts[0] === 'container' && parts.length > 1)
    return { kind: 'container', container: parts[1], mode: parts[2] === 'ro' ? 'ro' : 'rw' };
  return { kind: 'service', service: parts[0], mode: parts[1] === 'ro' ? 'ro' : 'rw' };
}

/** `CONTAINER[:ALIAS]`: the alias is the container's name when not given. */
export function parseExternalLink(text: string): ExternalLinkSpec {
  const [container, alias] = text.split(':');
  return { container, alias: alias ?? container };
}

/** Each source service is a dependency (service_started, required) unless depends_on already names it. */
function implicitDependencies(spec: ServiceSpec, entries: VolumesFromSpec[]): void {
  let added = false;
  for (const e of entries)
    if (e.kind === 'service' && e.service !== spec.name && !spec.dependsOn[e.service]) {
      spec.dependsOn[e.service] = { condition: 'service_started', required: true, restart: false };
      added = true;
    }
  if (added) spec.dependsOn = sortKeys(spec.dependsOn);
}
