/**
 * Plan-time checks on fixed addresses (pure), so that what the daemon would refuse at create is refused before any
 * write: a service's `ipv4_address` / `ipv6_address` on a network stack creates that declares subnets of its family
 * must lie in one of them, an `ipv6_address` needs `enable_ipv6: true`, and `aux_addresses` must lie in their own
 * subnet. Subnets the file does not declare (external networks, or chosen by the daemon or stack's own overlay) are
 * not known here, so addresses on them are left to the daemon.
 */
import type { DesiredState, NetworkSpec } from '../stack/types.js';
import { error, type Diagnostic } from '../errors.js';
import { contains, parseAddress, parseCidr } from '../overlay/cidr.js';

export function endpointAddressProblems(desired: DesiredState): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const n of Object.values(desired.networks)) if (!n.external) out.push(...auxAddressProblems(n));
  for (const s of Object.values(desired.services))
    for (const [key, endpoint] of Object.entries(s.networks)) {
      const n = desired.networks[key];
      if (!n || n.external) continue;
      const at = `services.${s.name}.networks.${key}`;
      if (endpoint.ipv6Address !== undefined && !n.enableIpv6)
        out.push(
          error(
            `service ${s.name}: ipv6_address on network ${key}, which has no IPv6`,
            { path: `${at}.ipv6_address` },
            `set enable_ipv6: true on network ${key} and give it an IPv6 subnet`,
          ),
        );
      for (const [field, address] of [
        ['ipv4_address', endpoint.ipv4Address],
        ['ipv6_address', endpoint.ipv6Address],
      ] as const)
        if (address !== undefined) out.push(...addressInSubnet(s.name, key, n, `${at}.${field}`, address));
    }
  return out;
}

function addressInSubnet(service: string, key: string, n: NetworkSpec, path: string, text: string): Diagnostic[] {
  const address = parseAddress(text);
  if (!address) return [];
  const subnets = (n.ipam?.config ?? []).flatMap((c) => (c.subnet ? [parseCidr(c.subnet)] : []));
  const family = subnets.filter((c) => c?.family === address.family);
  // no subnet declared: the daemon's (or stack's own overlay's) choice, not known here
  if (!family.length) return [];
  if (family.some((c) => c && contains(c, address))) return [];
  return [
    error(
      `service ${service}: fixed address ${text} is in no subnet of network ${key}`,
      { path },
      'pick an address inside the subnet',
    ),
  ];
}

function auxAddressProblems(n: NetworkSpec): Diagnostic[] {
  return (n.ipam?.config ?? []).flatMap((c, i) => {
    const subnet = c.subnet ? parseCidr(c.subnet) : undefined;
    return Object.entries(c.auxAddresses ?? {}).flatMap(([host, text]) => {
      const address = parseAddress(text);
      if (subnet && address && contains(subnet, address)) return [];
      return [
        error(
          `network ${n.key}: aux_addresses ${host} ${text} is not an address in subnet ${c.subnet ?? '(none declared)'}`,
          { path: `networks.${n.key}.ipam.config[${i}].aux_addresses.${host}` },
          'auxiliary addresses are reserved inside the subnet of their ipam.config entry',
        ),
      ];
    });
  });
}
