/**
 * Plan-time checks on networks, from observed data only (pure): overlay networks need every target host's
 * daemon on one cluster store; the file's own addresses hold (src/stack/checks/addresses.ts) and fixed subnets
 * overlap no network that exists; external networks must exist where they are used. Each problem is one diagnostic naming all the
 * hosts or networks involved, so a plan with errors is refused before any write.
 */
import type { DesiredState, NetworkSpec } from '../stack/types.js';
import type { ObservedNetwork, ObservedState } from '../observe/types.js';
import { error, type Diagnostic } from '../errors.js';
import { overlaps, parseCidr } from '../stack/cidr.js';
import { addressProblems, declaredSubnets, type DeclaredSubnet } from '../stack/checks/addresses.js';
import { formatKeyPath } from '../stack/key-path.js';
import { clusterStores } from '../overlay/mode.js';
import { collate } from '../collate.js';

const list = (xs: string[]) => xs.join(', ');

/** Networks stack creates with the overlay driver, by key. */
export function overlayNetworks(desired: DesiredState): NetworkSpec[] {
  return Object.values(desired.networks).filter((n) => !n.external && n.driver === 'overlay');
}

/** The host's daemon can create the engine's overlay: its info says so, or its own networks already are one. */
function engineReady(observed: ObservedState, host: string): boolean {
  return clusterStores(observed, [host])[host] === true;
}

/** The host an overlay network is created through: the first ready host in inventory order (any host sees it then). */
export function overlayCreator(observed: ObservedState, usable: readonly string[]): string | undefined {
  return usable.find((h) => engineReady(observed, h)) ?? usable[0];
}

/**
 * Every target host's daemon has a cluster store and advertise address, and all use the same store.
 * Networks stack's own overlay realises (`isConsul`, src/overlay/) need neither.
 */
export function overlayReadiness(
  desired: DesiredState,
  observed: ObservedState,
  usable: readonly string[],
  isConsul: (key: string) => boolean = () => false,
): Diagnostic[] {
  const overlays = overlayNetworks(desired).filter((n) => !isConsul(n.key));
  if (!overlays.length) return [];
  const names = overlays.map((n) => n.key);
  const where = { path: `networks.${names[0]}.driver` };
  const out: Diagnostic[] = [];
  const notReady: string[] = [];
  const stores = new Map<string, string[]>();
  for (const host of usable) {
    const e = observed.hosts[host]?.engine;
    if (!e) {
      // Its daemon lists the stack's overlay networks from a cluster store: ready, and on the store it lists them from.
      if (observed.hosts[host]?.overlayShown !== 'engine') notReady.push(`${host} (its Engine info was not observed)`);
      continue;
    }
    const lacks = [!e.clusterStore && 'cluster-store', !e.clusterAdvertise && 'cluster-advertise'].filter(
      (x): x is string => !!x,
    );
    if (lacks.length) notReady.push(`${host} (daemon.json lacks ${lacks.map((l) => `"${l}"`).join(' and ')})`);
    else {
      const store = e.clusterStore.replace(/\/+$/, '');
      stores.set(store, [...(stores.get(store) ?? []), host]);
    }
  }
  if (notReady.length)
    out.push(
      error(
        `overlay network${names.length > 1 ? 's' : ''} ${list(names)} need${names.length > 1 ? '' : 's'} the daemons' cluster store on every host; not ready: ${list(notReady)}`,
        where,
        'set "cluster-store" and "cluster-advertise" in /etc/docker/daemon.json on those hosts and restart dockerd (deploy/engine/daemon.json, docs/overlay.md), or use driver: bridge',
      ),
    );
  if (stores.size > 1)
    out.push(
      error(
        `the hosts use different cluster stores, so an overlay network would not span them: ${list([...stores].map(([s, hs]) => `${s} (${list(hs)})`))}`,
        where,
        'point "cluster-store" in every host\'s daemon.json at the same store',
      ),
    );
  return out;
}

/**
 * The stack file's own addresses (src/stack/checks/addresses.ts: `validate` refuses these too; a restored revision
 * reaches the planner without a load) and fixed subnets that overlap a network already on a usable host.
 */
export function subnetProblems(
  desired: DesiredState,
  observed: ObservedState,
  usable: readonly string[],
): Diagnostic[] {
  const own = addressProblems(desired.networks, desired.services).map((p) =>
    error(p.summary, { path: formatKeyPath(p.path) }, p.hint),
  );
  return [...own, ...overlapsWithExisting(declaredSubnets(desired.networks), observed, usable)];
}

/** A fixed subnet that overlaps a network already on a usable host. */
function overlapsWithExisting(
  mine: readonly DeclaredSubnet[],
  observed: ObservedState,
  usable: readonly string[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  // Existing networks (the stack's own with another name, other stacks', hand-made). A global network is listed by
  // every host that shares the store, and a local network of one name (stack's own overlay's bridges, `bridge`) is
  // one per host: a hit is named once per network name and subnet, with every host it is on.
  const existing: { network: ObservedNetwork; host: string }[] = [];
  for (const host of usable) {
    const h = observed.hosts[host];
    for (const n of [...(h?.networks ?? []), ...(h?.foreignNetworks ?? [])]) existing.push({ network: n, host });
  }
  for (const m of mine) {
    const hits = new Map<string, { name: string; subnet: string; hosts: string[] }>();
    for (const { network, host } of existing) {
      if (network.name === m.name) continue;
      const hit = (network.subnets ?? []).find((s) => {
        const c = parseCidr(s);
        return !!c && overlaps(c, m.cidr);
      });
      if (!hit) continue;
      const k = `${network.name}\0${hit}`;
      const seen = hits.get(k);
      if (!seen) hits.set(k, { name: network.name, subnet: hit, hosts: [host] });
      else if (!seen.hosts.includes(host)) seen.hosts.push(host);
    }
    const named = [...hits.values()]
      .sort((a, b) => collate(a.name, b.name) || collate(a.hosts[0], b.hosts[0]))
      .map((x) => `${x.name} (${x.subnet}) on ${list(x.hosts)}`);
    if (named.length)
      out.push(
        error(
          `network ${m.key}: subnet ${m.cidr.text} overlaps existing network${named.length > 1 ? 's' : ''} ${named.join('; ')}`,
          { path: `networks.${m.key}.ipam` },
          'choose a subnet no network on these hosts uses',
        ),
      );
  }
  return out;
}

/** External networks are used, never created: each must exist on every host that runs a container attached to it. */
export function missingExternalNetworks(
  desired: DesiredState,
  observed: ObservedState,
  placement: Record<string, Record<string, string>>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const n of Object.values(desired.networks)) {
    if (!n.external) continue;
    const hosts = new Set<string>();
    for (const s of Object.values(desired.services))
      if (!s.networkMode && s.networks[n.key]) for (const h of Object.values(placement[s.name] ?? {})) hosts.add(h);
    const missing = desired.hosts
      .map((h) => h.name)
      .filter((h) => hosts.has(h))
      .filter((h) => {
        const o = observed.hosts[h];
        if (!o || o.error || !o.foreignNetworks) return false;
        return ![...o.networks, ...o.foreignNetworks].some((x) => x.name === n.name);
      });
    if (missing.length)
      out.push(
        error(
          `external network ${n.name}${n.key !== n.name ? ` (networks.${n.key})` : ''} does not exist on ${list(missing)}`,
          { path: `networks.${n.key}` },
          `create it first (docker network create ${n.name}), or drop external: true so stack creates it`,
        ),
      );
  }
  return out;
}
