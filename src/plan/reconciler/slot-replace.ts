/**
 * A replica whose config changed, or whose volumes_from sources are not what it mounts (src/plan/reconciler/volumes-from-drift.ts):
 * replaced by the service's rollout (src/plan/rollout/), planned after every slot is known. Pure.
 */
import type { ObservedContainer } from '../../observe/types.js';
import { diffServiceConfig } from '../diff.js';
import { endpointConfig } from '../engine.js';
import type { DnsEndpoint } from '../rollout/types.js';
import { servedByDockerDns, type Reconciler } from './context.js';
import type { VolumesFromDrift } from './volumes-from-drift.js';
import { carriedVolumes, createAndConnect, prerequisites, type Slot } from './slot.js';

export function requestReplace(r: Reconciler, sl: Slot, current: ObservedContainer, why?: VolumesFromDrift): void {
  const { host, final, tmp, resource, svc } = sl;
  const fields = why
    ? why.fields
    : current.config
      ? diffServiceConfig(current.config, svc.sc)
      : [{ path: 'config', before: current.configHash?.slice(0, 12), after: svc.sc.hash.slice(0, 12) }];
  const carried = carriedVolumes(current, svc.s);
  const deps = prerequisites(r, sl);
  const dnsEndpoints = (networks: Record<string, unknown>): DnsEndpoint[] =>
    Object.entries(networks)
      .filter(([net]) => servedByDockerDns(r, net))
      .map(([network, cfg]) => ({ network, endpoint: endpointConfig(cfg as Record<string, unknown>) }));
  const previousDns = current.config?.networks
    ? dnsEndpoints(current.config.networks as Record<string, unknown>)
    : current.networks
        .filter((net) => servedByDockerDns(r, net))
        .map((network) => ({ network, endpoint: { Aliases: [svc.name] } }));
  svc.replaces.push({
    slot: sl.slot,
    host,
    final,
    temporary: tmp,
    resource,
    create: (group, extra, opts) =>
      createAndConnect(r, sl, tmp, deps, {
        carried,
        group,
        extra,
        withoutAliases: opts?.withoutAliases,
        after: opts?.after,
      }),
    dns: dnsEndpoints((svc.sc.config.networks as Record<string, unknown>) ?? {}),
    previousDns,
    startGates: svc.gates(),
  });
  r.b.change({
    host,
    type: 'container',
    resource,
    service: svc.name,
    name: final,
    action: 'replace',
    cause: why ? why.cause : current.config ? 'config changed' : 'config hash changed',
    fields,
  });
}
