/**
 * Co-placement for `volumes_from` a service: each replica of the service runs on a host where the source service
 * has a replica, and names that replica's container (the Engine copies the mounts of a container on its own host
 * only). The source is placed first (an earlier round); a service that cannot be placed next to it — no host both
 * eligible for it and running the source, or a global service on hosts the source does not run on — is an error
 * naming both services and their hosts. Pure.
 */
import type { DesiredState, HostSpec, ServiceSpec } from '../stack/types.js';
import { error, type Diagnostic } from '../errors.js';

/** The services a service takes volumes_from, sorted, each once. */
export function sourceServices(s: ServiceSpec): string[] {
  const names = (s.volumesFrom ?? []).flatMap((v) => (v.kind === 'service' && v.service !== s.name ? [v.service] : []));
  return [...new Set(names)].sort();
}

/**
 * The order services are placed in: first those without a source service (all of them when no service has
 * volumes_from, so placement is as before), then each round those whose sources are placed. Services left (a cycle:
 * the loader reports it) are placed last, without co-placement.
 */
export function placementRounds(desired: DesiredState): string[][] {
  const placed = new Set<string>();
  const rounds: string[][] = [];
  let rest = Object.keys(desired.services).sort();
  while (rest.length) {
    const ready = rest.filter((n) =>
      sourceServices(desired.services[n]).every((src) => placed.has(src) || !desired.services[src]),
    );
    if (!ready.length) {
      rounds.push(rest);
      break;
    }
    rounds.push(ready);
    for (const n of ready) placed.add(n);
    rest = rest.filter((n) => !placed.has(n));
  }
  return rounds;
}

/**
 * The hosts among `eligible` where every source service of `s` has a replica; undefined, with an error, when the
 * service cannot run next to a source (a global service must run on all of its eligible hosts).
 */
export function coPlaced(
  s: ServiceSpec,
  eligible: HostSpec[],
  placement: Record<string, Record<string, string>>,
  diagnostics: Diagnostic[],
): HostSpec[] | undefined {
  let out = eligible;
  const where = { path: `services.${s.name}.volumes_from` };
  for (const src of sourceServices(s)) {
    const slots = placement[src];
    if (!slots) continue;
    const hosts = new Set(Object.values(slots));
    const srcHosts = [...hosts].sort().join(', ') || 'no host';
    const missing = out.filter((h) => !hosts.has(h.name));
    if (s.deploy.mode === 'global' && missing.length) {
      diagnostics.push(
        error(
          `service ${s.name} is global on ${names(out)}, but volumes_from ${src} has no replica of ${src} on ${names(missing)} (${src} runs on ${srcHosts})`,
          where,
          `make ${src} global with the same constraints, or constrain ${s.name} to the hosts ${src} runs on`,
        ),
      );
      return undefined;
    }
    const both = out.filter((h) => hosts.has(h.name));
    if (!both.length) {
      diagnostics.push(
        error(
          `service ${s.name}: volumes_from ${src} needs a replica of ${src} on the same host, but no host is both eligible for ${s.name} (${names(out)}) and running ${src} (${srcHosts})`,
          where,
          `give ${s.name} and ${src} placement constraints that share a host, or make ${src} global`,
        ),
      );
      return undefined;
    }
    out = both;
  }
  return out;
}

const names = (hosts: HostSpec[]) => hosts.map((h) => h.name).join(', ');
