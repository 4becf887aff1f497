/**
 * Plan-time checks on containers outside the stack that a service names (pure): a `volumes_from container:NAME` and an
 * `external_links` entry must name a container on every host the service's replicas are placed on (the loader has
 * checked the service is pinned to one), and an external link's container must be on one of the service's
 * user-defined networks — the Engine accepts a link to a container it cannot reach and the alias then resolves to
 * nothing, and on its default `bridge` a link is a legacy one stack does not send. A host observed
 * without the list of other containers (states not made by observe) is not checked.
 */
import type { DesiredState, ServiceSpec } from '../stack/types.js';
import type { ObservedContainer, ObservedHost, ObservedState } from '../observe/types.js';
import { error, type Diagnostic } from '../errors.js';
import { PREDEFINED_NETWORKS } from './config.js';

export function sharedContainerProblems(
  desired: DesiredState,
  observed: ObservedState,
  placement: Record<string, Record<string, string>>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const s of Object.values(desired.services)) {
    if (!s.externalLinks && !s.volumesFrom?.some((v) => v.kind === 'container')) continue;
    for (const host of new Set(Object.values(placement[s.name] ?? {}))) {
      const obs = observed.hosts[host];
      if (!obs?.foreignContainers) continue;
      for (const v of s.volumesFrom ?? [])
        if (v.kind === 'container' && !findContainer(obs, v.container))
          out.push(missing(s, host, `volumes_from container:${v.container}`, v.container, 'volumes_from'));
      for (const link of s.externalLinks ?? []) out.push(...linkProblems(desired, s, obs, link.container));
    }
  }
  return out;
}

function findContainer(obs: ObservedHost, name: string): ObservedContainer | undefined {
  return [...obs.containers, ...(obs.foreignContainers ?? [])].find((c) => c.name === name);
}

function missing(s: ServiceSpec, host: string, what: string, name: string, key: string): Diagnostic {
  return error(
    `service ${s.name}: ${what}: there is no container ${name} on host ${host}, where ${s.name} is placed`,
    { path: `services.${s.name}.${key}`, host },
    `create ${name} on ${host} first, or pin ${s.name} to the host that has it`,
  );
}

function linkProblems(desired: DesiredState, s: ServiceSpec, obs: ObservedHost, name: string): Diagnostic[] {
  const c = findContainer(obs, name);
  if (!c) return [missing(s, obs.name, `external_links ${name}`, name, 'external_links')];
  const mine = Object.keys(s.networks).map((key) => desired.networks[key]?.name ?? key);
  if (mine.some((n) => c.networks.includes(n) && !PREDEFINED_NETWORKS.has(n))) return [];
  const predefined = mine.find((n) => c.networks.includes(n));
  if (predefined) return [onPredefined(s, obs.name, name, predefined)];
  return [
    error(
      `service ${s.name}: external_links ${name}: container ${name} on host ${obs.name} is on none of ${s.name}'s networks (${mine.join(', ')}), so the link would not resolve`,
      { path: `services.${s.name}.external_links`, host: obs.name },
      `put ${s.name} on a network ${name} is on${c.networks.length ? ` (${c.networks.join(', ')})` : ''}, declared external: true, or connect ${name} to one of ${s.name}'s`,
    ),
  ];
}

/**
 * On the Engine's default network the alias would be a legacy link (HostConfig.Links: an address copied into the
 * container's /etc/hosts once, at start, and a start refused while the container is gone), which stack does not send:
 * refused rather than dropped.
 */
function onPredefined(s: ServiceSpec, host: string, name: string, net: string): Diagnostic {
  return error(
    `service ${s.name}: external_links ${name}: container ${name} on host ${host} shares only the Engine's network ${net} with ${s.name}, where a link is a legacy link stack does not send`,
    { path: `services.${s.name}.external_links`, host },
    `put ${s.name} and ${name} on a user-defined network (declared external: true), where the Engine's DNS resolves the alias`,
  );
}
