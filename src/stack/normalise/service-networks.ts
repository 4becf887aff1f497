/** A service's `networks:` (list or map, aliases, addresses, endpoint keys); services without networks join `default`. */
import type { ServiceNetworkSpec } from '../types.js';
import { isRecord, type KeyPath } from '../key-path.js';
import { sortKeys } from '../hosts.js';
import type { NormaliseContext } from './context.js';
import { endpointKeys } from './endpoint-keys.js';

export function normaliseServiceNetworks(
  service: Record<string, unknown>,
  at: KeyPath,
  context: NormaliseContext,
): Record<string, ServiceNetworkSpec> {
  const value = service.networks;
  if (service.network_mode !== undefined) {
    if (value !== undefined) {
      context.problems.error([...at, 'network_mode'], 'network_mode cannot be used together with networks', {
        atKey: true,
        hint: 'remove one of them',
      });
    }
    return {};
  }
  const networks: Record<string, ServiceNetworkSpec> = {};
  const entries: [string | number, string, unknown][] = Array.isArray(value)
    ? value.map((name, i) => [i, String(name), null])
    : isRecord(value)
      ? Object.entries(value).map(([name, spec]) => [name, name, spec])
      : [];
  if (entries.length === 0) return { default: { aliases: [] } };
  for (const [key, name, spec] of entries) {
    if (!context.declared.networks.has(name) && name !== 'default') {
      context.problems.error(
        [...at, 'networks', key],
        `network "${name}" is not declared under the top-level networks:`,
        {
          atKey: typeof key === 'string',
          hint: `add networks: { ${name}: {} }`,
        },
      );
    }
    const network: ServiceNetworkSpec = { aliases: [] };
    if (isRecord(spec)) {
      if (Array.isArray(spec.aliases)) network.aliases = spec.aliases.map(String);
      if (typeof spec.ipv4_address === 'string') network.ipv4Address = spec.ipv4_address;
      if (typeof spec.gw_priority === 'number') network.gwPriority = spec.gw_priority;
      Object.assign(network, endpointKeys(spec));
    }
    networks[name] = network;
  }
  return sortKeys(networks);
}
