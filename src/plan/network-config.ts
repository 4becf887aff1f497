/**
 * A network's config hash, defined once like a container's: the normalised settings the Engine takes at create
 * (driver, driver_opts, ipam, enable_ipv6, internal, attachable, labels; not the name, which is its identity), written into
 * the network's labels at create time and recomputed by the planner. A network cannot be changed in place: a
 * different hash means the network is replaced, with every container attached to it.
 */
import type { NetworkSpec } from '../stack/types.js';
import { prune, sha256 } from './canonical.js';

export interface NetworkConfig {
  config: Record<string, unknown>;
  json: string;
  hash: string;
}

export function networkConfig(n: NetworkSpec): NetworkConfig {
  const config = prune({
    driver: n.driver,
    driverOpts: n.driverOpts,
    ipam: n.ipam ? { driver: n.ipam.driver ?? 'default', config: n.ipam.config, options: n.ipam.options } : undefined,
    enableIpv6: n.enableIpv6 || undefined,
    internal: n.internal || undefined,
    attachable: n.attachable || undefined,
    labels: n.labels,
  }) as Record<string, unknown>;
  const json = JSON.stringify(config);
  return { config, json, hash: sha256(json) };
}
