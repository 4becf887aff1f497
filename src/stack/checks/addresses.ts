/**
 * The stack file's own addresses, checked from the file alone (pure), so that `validate` refuses what a daemon would
 * refuse at create: a fixed subnet that is not a CIDR block, a gateway or ip_range outside it, two of the stack's
 * networks with overlapping subnets, `aux_addresses` outside their subnet, a service's `ipv4_address` /
 * `ipv6_address` in no declared subnet of its family, an `ipv6_address` on a network without IPv6. Subnets the file
 * does not declare (external networks, or chosen by the daemon or stack's own overlay) are not known here, so
 * addresses on them are left to the daemon. Overlaps with networks already on the hosts need the observed state:
 * the planner checks those (src/plan/network-checks.ts), from `declaredSubnets`.
 */
import { contains, overlaps, parseAddress, parseCidr, type Cidr } from '../cidr.js';
import type { KeyPath } from '../key-path.js';
import type { NetworkSpec, ServiceSpec } from '../types.js';

export interface AddressProblem {
  path: KeyPath;
  summary: string;
  hint?: string;
}

/** A fixed subnet of one of the stack's networks. */
export interface DeclaredSubnet {
  key: string;
  name: string;
  cidr: Cidr;
}

export function addressProblems(
  networks: Record<string, NetworkSpec>,
  services: Record<string, ServiceSpec>,
): AddressProblem[] {
  const own = Object.values(networks).filter((n) => !n.external);
  return [
    ...own.flatMap(subnetShapeProblems),
    ...overlapsAmong(declaredSubnets(networks)),
    ...own.flatMap(auxAddressProblems),
    ...Object.values(services).flatMap((s) => endpointProblems(s, networks)),
  ];
}

/** The stack's fixed subnets that parse. */
export function declaredSubnets(networks: Record<string, NetworkSpec>): DeclaredSubnet[] {
  return Object.values(networks)
    .filter((n) => !n.external)
    .flatMap((n) =>
      (n.ipam?.config ?? []).flatMap((c) => {
        const cidr = c.subnet ? parseCidr(c.subnet) : undefined;
        return cidr ? [{ key: n.key, name: n.name, cidr }] : [];
      }),
    );
}

/** Each ipam.config entry's subnet, gateway and ip_range. */
function subnetShapeProblems(n: NetworkSpec): AddressProblem[] {
  return (n.ipam?.config ?? []).flatMap((c, i): AddressProblem[] => {
    const at = ['networks', n.key, 'ipam', 'config', i];
    if (!c.subnet) return [];
    const cidr = parseCidr(c.subnet);
    if (!cidr)
      return [
        {
          path: [...at, 'subnet'],
          summary: `network ${n.key}: subnet "${c.subnet}" is not a CIDR block`,
          hint: 'write it like 10.20.0.0/24',
        },
      ];
    const out: AddressProblem[] = [];
    const gateway = c.gateway === undefined ? undefined : parseAddress(c.gateway);
    if (c.gateway !== undefined && !(gateway && contains(cidr, gateway)))
      out.push({
        path: [...at, 'gateway'],
        summary: `network ${n.key}: gateway "${c.gateway}" is not an address in subnet ${c.subnet}`,
      });
    const range = c.ipRange === undefined ? undefined : parseCidr(c.ipRange);
    if (c.ipRange !== undefined && !(range && contains(cidr, range)))
      out.push({
        path: [...at, 'ip_range'],
        summary: `network ${n.key}: ip_range "${c.ipRange}" is not a CIDR block inside subnet ${c.subnet}`,
      });
    return out;
  });
}

/** Two of the stack's own networks whose subnets overlap. */
function overlapsAmong(mine: readonly DeclaredSubnet[]): AddressProblem[] {
  const out: AddressProblem[] = [];
  for (let i = 0; i < mine.length; i++)
    for (let j = i + 1; j < mine.length; j++)
      if (overlaps(mine[i].cidr, mine[j].cidr))
        out.push({
          path: ['networks', mine[j].key, 'ipam'],
          summary: `networks ${mine[i].key} (${mine[i].cidr.text}) and ${mine[j].key} (${mine[j].cidr.text}) have overlapping subnets`,
          hint: 'give each network its own subnet',
        });
  return out;
}

function auxAddressProblems(n: NetworkSpec): AddressProblem[] {
  return (n.ipam?.config ?? []).flatMap((c, i) => {
    const subnet = c.subnet ? parseCidr(c.subnet) : undefined;
    return Object.entries(c.auxAddresses ?? {}).flatMap(([host, text]) => {
      const address = parseAddress(text);
      if (subnet && address && contains(subnet, address)) return [];
      return [
        {
          path: ['networks', n.key, 'ipam', 'config', i, 'aux_addresses', host],
          summary: `network ${n.key}: aux_addresses ${host} ${text} is not an address in subnet ${c.subnet ?? '(none declared)'}`,
          hint: 'auxiliary addresses are reserved inside the subnet of their ipam.config entry',
        },
      ];
    });
  });
}

/** A service's fixed addresses on the stack's own networks. */
function endpointProblems(s: ServiceSpec, networks: Record<string, NetworkSpec>): AddressProblem[] {
  const out: AddressProblem[] = [];
  for (const [key, endpoint] of Object.entries(s.networks)) {
    const n = networks[key];
    if (!n || n.external) continue;
    const at = ['services', s.name, 'networks', key];
    if (endpoint.ipv6Address !== undefined && !n.enableIpv6)
      out.push({
        path: [...at, 'ipv6_address'],
        summary: `service ${s.name}: ipv6_address on network ${key}, which has no IPv6`,
        hint: `set enable_ipv6: true on network ${key} and give it an IPv6 subnet`,
      });
    for (const [field, address] of [
      ['ipv4_address', endpoint.ipv4Address],
      ['ipv6_address', endpoint.ipv6Address],
    ] as const)
      if (address !== undefined && !inDeclaredSubnet(n, address))
        out.push({
          path: [...at, field],
          summary: `service ${s.name}: fixed address ${address} is in no subnet of network ${key}`,
          hint: 'pick an address inside the subnet',
        });
  }
  return out;
}

/** In a declared subnet of its family, or no subnet of its family declared (the daemon's choice, not known here). */
function inDeclaredSubnet(n: NetworkSpec, text: string): boolean {
  const address = parseAddress(text);
  if (!address) return true;
  const family = (n.ipam?.config ?? [])
    .flatMap((c) => (c.subnet ? [parseCidr(c.subnet)] : []))
    .filter((c) => c?.family === address.family);
  return !family.length || family.some((c) => c && contains(c, address));
}
