/**
 * Subnets of stack's own overlay networks at plan time (pure): the stack file's fixed `ipam` subnet, checked
 * against what the overlay can honour and against Consul's claims, and the hosts' subnets a pool subnet must avoid.
 */
import type { NetworkSpec } from '../../../stack/types.js';
import type { ObservedState } from '../../../observe/types.js';
import { error, type Diagnostic } from '../../../errors.js';
import { networkId, type NetworkAllocation, type OverlayKvState } from '../../../overlay/state.js';
import type { InUseSubnet } from '../../../overlay/allocate.js';
import { canonicalCidr, cidrOverlaps, leaseSlotsIn } from '../../../overlay/pool.js';
import { collate } from '../../../collate.js';

/**
 * The stack file's `ipam` subnet of a Consul-backed network (canonical), undefined when it gives none, null
 * when it cannot be honoured (the reasons are pushed as errors). Stack's own overlay gives each host a range of
 * the subnet and that range's first address as gateway, so `gateway`, `ip_range` and a second subnet cannot be
 * honoured; the subnet must hold a lease per host and overlap no other network's claim in Consul, and a
 * network keeps the subnet it was allocated.
 */
export function fixedSubnet(
  n: NetworkSpec,
  alloc: NetworkAllocation | undefined,
  kv: OverlayKvState,
  stack: string,
  hosts: number,
  diagnostics: Diagnostic[],
): string | undefined | null {
  const before = diagnostics.length;
  ipamProblems(n, kv.pool.leasePrefix, diagnostics);
  const text = n.ipam?.config?.[0]?.subnet;
  if (diagnostics.length > before) return null;
  if (!text) return undefined;
  const subnet = canonicalSubnet(n.key, text, diagnostics);
  if (subnet === null) return null;
  if (alloc) return allocatedSubnet(n.key, alloc, subnet, diagnostics);
  newSubnetProblems(n.key, subnet, kv, stack, hosts, diagnostics);
  return diagnostics.length > before ? null : subnet;
}

/** What of `ipam` stack's own overlay cannot honour: another driver, its options, IPv6, a second subnet, a gateway, an ip_range or aux_addresses. */
function ipamProblems(n: NetworkSpec, leasePrefix: number, diagnostics: Diagnostic[]): void {
  const configs = n.ipam?.config ?? [];
  const path = `networks.${n.key}.ipam`;
  const engineHint = 'or use x-stack.overlay: engine on daemons with a cluster store';
  if (n.ipam?.driver && n.ipam.driver !== 'default')
    diagnostics.push(
      error(
        `network ${n.key}: ipam driver ${n.ipam.driver} is not supported by stack's own overlay`,
        { path: `${path}.driver` },
        `drop it, ${engineHint}`,
      ),
    );
  if (configs.length > 1)
    diagnostics.push(
      error(
        `network ${n.key}: stack's own overlay gives a network one subnet; ipam.config has ${configs.length}`,
        { path: `${path}.config` },
        'keep one',
      ),
    );
  for (const [key, set] of [
    ['ipam.options', n.ipam?.options !== undefined],
    ['enable_ipv6', n.enableIpv6 === true],
  ] as const)
    if (set)
      diagnostics.push(
        error(
          `network ${n.key}: ${key} cannot be honoured on stack's own overlay (IPv4, and stack's own address leases)`,
          { path: `networks.${n.key}.${key}` },
          `drop it, ${engineHint}`,
        ),
      );
  configs.forEach((c, i) => {
    const extra = [
      c.gateway !== undefined && 'gateway',
      c.ipRange !== undefined && 'ip_range',
      c.auxAddresses !== undefined && 'aux_addresses',
    ].filter(Boolean);
    if (extra.length)
      diagnostics.push(
        error(
          `network ${n.key}: ${extra.join(' and ')} cannot be honoured on stack's own overlay, which gives each host a /${leasePrefix} range of the subnet and that range's first address as gateway`,
          { path: `${path}.config[${i}]` },
          `keep only subnet, ${engineHint}`,
        ),
      );
  });
}

/** The subnet in canonical form; null when it is IPv6 (reported here) or no CIDR block (reported elsewhere). */
function canonicalSubnet(key: string, text: string, diagnostics: Diagnostic[]): string | null {
  try {
    return canonicalCidr(text);
  } catch {
    // Not a CIDR block at all is reported by the general subnet checks (src/plan/network-checks.ts).
    if (!/:/.test(text)) return null;
    diagnostics.push(
      error(`network ${key}: subnet ${text} is IPv6; stack's own overlay is IPv4 only`, {
        path: `networks.${key}.ipam.config[0].subnet`,
      }),
    );
    return null;
  }
}

/** An allocated network keeps its subnet: the subnet when the file asks for that one, else null (reported). */
function allocatedSubnet(
  key: string,
  alloc: NetworkAllocation,
  subnet: string,
  diagnostics: Diagnostic[],
): string | null {
  if (alloc.subnet === subnet) return subnet;
  diagnostics.push(
    error(
      `network ${key} holds subnet ${alloc.subnet} in Consul; the stack file asks for ${subnet}, and a network cannot change its subnet in place`,
      { path: `networks.${key}.ipam.config[0].subnet` },
      `keep ${alloc.subnet}, or remove the network (drop it from the file, or stack destroy) and apply again`,
    ),
  );
  return null;
}

/** A new network's fixed subnet must hold a lease per host and overlap no other network's claim in Consul. */
function newSubnetProblems(
  key: string,
  subnet: string,
  kv: OverlayKvState,
  stack: string,
  hosts: number,
  diagnostics: Diagnostic[],
): void {
  const path = `networks.${key}.ipam.config[0].subnet`;
  const slots = leaseSlotsIn(subnet, kv.pool.leasePrefix);
  if (slots < hosts)
    diagnostics.push(
      error(
        `network ${key}: subnet ${subnet} holds ${slots} host lease${slots === 1 ? '' : 's'} of /${kv.pool.leasePrefix} (the first is the network's), and the network spans ${hosts} hosts`,
        { path },
        `use a larger subnet (/${kv.pool.leasePrefix - Math.ceil(Math.log2(hosts + 1))} or larger)`,
      ),
    );
  const id = networkId(stack, key);
  const claimed = [...kv.subnets]
    .filter(([s, c]) => c.owner !== id && cidrOverlaps(s, subnet))
    .map(([s, c]) => `${s} of overlay network ${c.owner}`);
  if (claimed.length)
    diagnostics.push(
      error(
        `network ${key}: subnet ${subnet} overlaps ${claimed.join(', ')} (claimed in Consul)`,
        { path },
        'choose a subnet no other network uses',
      ),
    );
}

/** Subnets of the networks on the hosts other than this one's own bridges: a new pool subnet must avoid them. */
export function subnetsInUse(observed: ObservedState, hosts: string[], own: string): InUseSubnet[] {
  const found = new Map<string, InUseSubnet>();
  for (const h of hosts) {
    const o = observed.hosts[h];
    for (const net of [...o.networks, ...(o.foreignNetworks ?? [])]) {
      if (net.name === own) continue;
      for (const subnet of net.subnets ?? []) {
        const k = `${net.name} ${subnet}`;
        const seen = found.get(k);
        if (seen) seen.hosts.push(h);
        else found.set(k, { subnet, network: net.name, hosts: [h] });
      }
    }
  }
  return [...found.values()].sort((a, b) => collate(a.network, b.network) || collate(a.subnet, b.subnet));
}
