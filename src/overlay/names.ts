/** Names of the overlay's objects on hosts and in Consul, defined once. */

/** The VXLAN device on a host (≤ 15 characters). */
export const deviceName = (vni: number) => `stvx${vni}`;
/** The Linux bridge of the Docker bridge network (≤ 15 characters). */
export const bridgeName = (vni: number) => `stbr${vni}`;

const dnsLabel = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');

/** The Consul catalog service of one stack network: replicas are instances, tagged with their service name. */
export const catalogService = (stack: string, key: string) => `${dnsLabel(stack)}-${dnsLabel(key)}`;
/** The DNS search domain of containers on the network: `api` → `api.<stack>-<key>.service.consul`. */
export const searchDomain = (stack: string, key: string) => `${catalogService(stack, key)}.service.consul`;
/** One catalog instance per replica and network. */
export const catalogId = (stack: string, service: string, slot: string, key: string) =>
  `${dnsLabel(stack)}-${dnsLabel(service)}-${dnsLabel(slot)}-${dnsLabel(key)}`;
/** Catalog node of a Docker host. */
export const catalogNode = (host: string) => `stack-${dnsLabel(host)}`;
/** The meta of every catalog node stack writes: external (no agent runs there, none probes it), stack's. */
export const CATALOG_NODE_META = { 'external-node': 'true', 'external-probe': 'false', 'managed-by': 'stack' } as const;
