/**
 * A service's endpoint on one network, beyond aliases and its IPv4 address: `ipv6_address`, `link_local_ips`,
 * `mac_address`, `driver_opts` and `interface_name`, only where the file sets them (the schema checked their forms).
 */
import type { ServiceNetworkSpec } from '../types.js';
import { stringMap } from '../hosts.js';

export function endpointKeys(spec: Record<string, unknown>): Partial<ServiceNetworkSpec> {
  const out: Partial<ServiceNetworkSpec> = {};
  if (typeof spec.ipv6_address === 'string') out.ipv6Address = spec.ipv6_address;
  if (Array.isArray(spec.link_local_ips) && spec.link_local_ips.length)
    out.linkLocalIps = spec.link_local_ips.map(String);
  if (typeof spec.mac_address === 'string') out.macAddress = spec.mac_address.toLowerCase();
  const driverOpts = stringMap(spec.driver_opts);
  if (Object.keys(driverOpts).length) out.driverOpts = driverOpts;
  if (typeof spec.interface_name === 'string') out.interfaceName = spec.interface_name;
  return out;
}
