/**
 * Plan-time checks on networks, from observed data only (pure): overlay networks need every target host's
 * daemon on one cluster store; fixed subnets must be CIDR blocks that overlap neither each other nor networks
 * that exist; external networks must exist where they are used. Each problem is one diagnostic naming all the
 * hosts or networks involved, so a plan with errors is refused before any write.
 */
import type { DesiredState, NetworkSpec } from '../stack/types.js';
import type { ObservedNetwork, ObservedState } from '../observe/types.js';
import { error, type Diagnostic } from '../errors.js';
import { contains, overlaps, parseAddress, parseCidr, type Cidr } from '../overlay/cidr.js';

const list = (xs: string[]) => xs.join(', ');

/** Networks stack creates with the overlay driver, by key. */
export function overlayNetworks(desired: DesiredState): NetworkSpec[] {
  return Object.values(desired.networks).filter((n) => !n.external && n.driver === 'overlay');
}

function engineReady(observed: ObservedState, host: string): boolean {
  const e = observed.hosts[host]?.engine;
  return !!e?.clusterStore && !!e.clusterAdvertise;
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
      notReady.push(`${host} (its Engine info was not observed)`);
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

interface SubnetRef {
  key: string;
  name: string;
  cidr: Cidr;
}

/** Fixed subnets: well-formed, gateway and ip_range inside, no overlap among the stack's networks or with existing ones. */
export function subnetProblems(
  desired: DesiredState,
  observed: ObservedState,
  usable: readonly string[],
): Diagnostic[] {
  const { mine, out } = fixedSubnets(desired);
  out.push(...overlapsAmongMine(mine), ...overlapsWithExisting(mine, observed, usable));
  return out;
}

/** The stack's fixed subnets that parse, and the problems of each one's subnet, gateway and ip_range. */
function fixedSubnets(desired: DesiredState): { mine: SubnetRef[]; out: Diagnostic[] } {
  const out: Diagnostic[] = [];
  const mine: SubnetRef[] = [];
  for (const n of Object.values(desired.networks)) {
    if (n.external) continue;
    (n.ipam?.config ?? []).forEach((c, i) => {
      const at = `networks.${n.key}.ipam.config[${i}]`;
      if (!c.subnet) return;
      const cidr = parseCidr(c.subnet);
      if (!cidr)
        return void out.push(
          error(
            `network ${n.key}: subnet "${c.subnet}" is not a CIDR block`,
            { path: `${at}.subnet` },
            'write it like 10.20.0.0/24',
          ),
        );
      if (c.gateway) {
        const gw = parseAddress(c.gateway);
        if (!gw || !contains(cidr, gw))
          out.push(
            error(`network ${n.key}: gateway "${c.gateway}" is not an address in subnet ${c.subnet}`, {
              path: `${at}.gateway`,
            }),
          );
      }
      if (c.ipRange) {
        const range = parseCidr(c.ipRange);
        if (!range || !contains(cidr, range))
          out.push(
            error(`network ${n.key}: ip_range "${c.ipRange}" is not a CIDR block inside subnet ${c.subnet}`, {
              path: `${at}.ip_range`,
            }),
          );
      }
      mine.push({ key: n.key, name: n.name, cidr });
    });
  }
  return { mine, out };
}

/** Two of the stack's own networks whose subnets overlap. */
function overlapsAmongMine(mine: readonly SubnetRef[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (let i = 0; i < mine.length; i++)
    for (let j = i + 1; j < mine.length; j++)
      if (overlaps(mine[i].cidr, mine[j].cidr))
        out.push(
          error(
            `networks ${mine[i].key} (${mine[i].cidr.text}) and ${mine[j].key} (${mine[j].cidr.text}) have overlapping subnets`,
            { path: `networks.${mine[j].key}.ipam` },
            'give each network its own subnet',
          ),
        );
  return out;
}

/** A fixed subnet that overlaps a network already on a usable host. */
function overlapsWithExisting(
  mine: readonly SubnetRef[],
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
      .sort((a, b) => a.name.localeCompare(b.name) || a.hosts[0].localeCompare(b.hosts[0]))
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
