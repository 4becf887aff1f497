/**
 * Networks whose config hash changed are replaced: every container of the stack attached to one is stopped and
 * removed first (on every host, for a global network), then the network is removed and created again, then the
 * containers are created again by the service phase. A network without a hash label is left as it is. Pure.
 */
import type { NetworkSpec } from '../../stack/types.js';
import type { ObservedContainer, ObservedNetwork } from '../../observe/types.js';
import { isGlobal } from '../../observe/networks.js';
import { Roles } from '../../labels.js';
import { diffConfigs } from '../diff.js';
import type { Reconciler } from './context.js';
import { removeContainer } from './remove.js';
import { collate } from '../../collate.js';

/** Finds the networks to replace (global ones first, then per host), in name order. */
export function replaceChangedNetworks(r: Reconciler): void {
  const wanted = [...r.wantedNets.values()].sort((x, y) => collate(x.spec.name, y.spec.name));
  for (const { spec, config } of wanted) {
    const g = r.observedGlobal.get(spec.name);
    if (g && g.network.configHash && g.network.configHash !== config.hash)
      replaceNetwork(r, spec, g.hosts[0], g.network, true);
    for (const hs of r.hosts.values()) {
      const local = hs.obs.networks.find((o) => o.name === spec.name && !isGlobal(o));
      if (local?.configHash && local.configHash !== config.hash) replaceNetwork(r, spec, hs.obs.name, local, false);
    }
  }
}

function replaceNetwork(r: Reconciler, n: NetworkSpec, host: string, old: ObservedNetwork, global: boolean): void {
  const want = r.wantedNets.get(n.name)!.config;
  const attached = attachedContainers(r, n, host, global);
  const removals = attached.map((c) => preRemove(r, c, n));
  const rm = r.b.add(
    'network.remove',
    host,
    `remove network ${n.name}`,
    `network:${n.key}`,
    'replaced: config changed',
    removals,
    { name: n.name },
  );
  r.networkRemovals.set(n.name, [...(r.networkRemovals.get(n.name) ?? []), { host, global, op: rm }]);
  const fields = old.config
    ? diffConfigs(old.config, want.config)
    : [{ path: 'config', before: old.configHash?.slice(0, 12), after: want.hash.slice(0, 12) }];
  const names = attached.map((c) => c.name);
  r.b.change({
    host,
    type: 'network',
    resource: `network:${n.key}`,
    name: n.name,
    action: 'replace',
    cause: `config changed; ${names.length ? `recreates ${names.join(', ')}` : 'no container attached'}`,
    fields,
    ...(global ? { allHosts: true } : {}),
  });
}

/** Attached now, or created for it (its config label says so): a daemon's list can miss an overlay endpoint. */
function attachedContainers(r: Reconciler, n: NetworkSpec, host: string, global: boolean): ObservedContainer[] {
  return (global ? [...r.hosts.values()] : [r.hosts.get(host)!])
    .flatMap((h) => h.obs.containers)
    .filter(
      (c) =>
        c.role !== Roles.helper && (c.networks.includes(n.name) || Object.hasOwn(c.config?.networks ?? {}, n.name)),
    )
    .sort((x, y) => collate(x.host, y.host) || collate(x.name, y.name));
}

/** The container's removal before network `n` goes (once, whichever of its networks is replaced first). */
function preRemove(r: Reconciler, c: ObservedContainer, n: NetworkSpec): string {
  const seen = r.preRemoved.get(c.id);
  if (seen) {
    seen.networks.push(n.name);
    return seen.op;
  }
  const resource = `service:${c.service}:${c.slot}`;
  const op = removeContainer(r, r.hosts.get(c.host), c, resource, `network ${n.name} is replaced`, [], false)!;
  r.preRemoved.set(c.id, { op, networks: [n.name] });
  return op;
}

/** Is network `name` on `host` (or the global one) being removed as part of a replace? */
export function replacedHere(r: Reconciler, name: string, host: string, global: boolean): boolean {
  return (r.networkRemovals.get(name) ?? []).some((x) => (global ? x.global : x.host === host && !x.global));
}

/** What creating network `name` on `host` must wait for: removals of a network of that name there (or global). */
export function removalsBefore(r: Reconciler, name: string, host: string): string[] {
  return (r.networkRemovals.get(name) ?? []).filter((x) => x.global || x.host === host).map((x) => x.op);
}
