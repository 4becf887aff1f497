/**
 * Catalog entries for a stack's running replicas, from the hosts' container lists. Pure: the Docker host is an
 * external node `stack-<host>` (no agent runs there, so anti-entropy leaves it alone), each replica one service
 * instance named `<stack>-<service>` with meta entry=replica, with a health snapshot as a check.
 */
import { Labels, Roles } from '../labels.js';
import type { DesiredState, HostSpec, ServiceSpec } from '../stack/types.js';
import { parseStatus, type ContainerListEntry } from '../observe/parse.js';
import { catalogNode } from '../overlay/names.js';
import { endpointHost } from '../stack/endpoint.js';

/** Meta that marks the instances this module registers (the overlay registers its own, per network). */
export const REPLICA_ENTRY = { entry: 'replica' } as const;

export interface CatalogEntry {
  node: string;
  nodeAddress: string;
  service: { id: string; name: string; address: string; port: number; tags: string[]; meta: Record<string, string> };
  check: { status: 'passing' | 'critical'; notes: string };
}

export interface ListedContainer extends ContainerListEntry {
  Ports?: { PrivatePort: number; PublicPort?: number; IP?: string; Type?: string }[];
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
}

/** The host's address: the IP or name of a tcp:// endpoint; for a unix socket, `fallback` (this machine's). */
export function hostAddress(host: HostSpec, fallback: string): string {
  return endpointHost(host.endpoint) ?? fallback;
}

export const serviceName = (stack: string, service: string) => `${stack}-${service}`;

export function catalogEntries(
  desired: DesiredState,
  host: HostSpec,
  nodeAddress: string,
  containers: ListedContainer[],
  revision: number | undefined,
): CatalogEntry[] {
  const entries: CatalogEntry[] = [];
  for (const c of containers) {
    const labels = c.Labels ?? {};
    if (labels[Labels.stack] !== desired.name || c.State !== 'running') continue;
    const role = labels[Labels.replaceRole];
    if (role === Roles.temporary || role === Roles.helper) continue;
    const serviceKey = labels[Labels.service];
    if (!serviceKey) continue;
    entries.push(entryOf(desired, host, nodeAddress, c, serviceKey, revision));
  }
  return entries.sort((a, b) => (a.service.id < b.service.id ? -1 : 1));
}

/** The catalog entry of one running replica of `serviceKey`. */
function entryOf(
  desired: DesiredState,
  host: HostSpec,
  nodeAddress: string,
  c: ListedContainer,
  serviceKey: string,
  revision: number | undefined,
): CatalogEntry {
  const labels = c.Labels ?? {};
  const spec = desired.services[serviceKey];
  const name = (c.Names?.[0] ?? c.Id).replace(/^\//, '');
  const { address, port } = addressOf(desired, spec, c, nodeAddress);
  const userLabels = Object.entries(spec?.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const { health } = parseStatus(c.Status);
  const meta: Record<string, string> = {
    ...REPLICA_ENTRY,
    stack: desired.name,
    service: serviceKey,
    container_id: c.Id,
    host: host.name,
    slot: labels[Labels.slot] ?? '',
  };
  if (revision !== undefined) meta.revision = String(revision);
  return {
    node: catalogNode(host.name),
    nodeAddress,
    service: {
      id: name,
      name: serviceName(desired.name, serviceKey),
      address,
      port,
      tags: userLabels.map(([k, v]) => `${k}=${v}`),
      meta,
    },
    check: {
      status: health === undefined || health === 'healthy' ? 'passing' : 'critical',
      notes: `docker: ${c.Status ?? c.State ?? 'unknown'}`,
    },
  };
}

/**
 * Where a replica is reached: its first published port on the node's address; else its address on one of the
 * service's networks (or any network, by name) and the lowest port it exposes (0 when none).
 */
function addressOf(
  desired: DesiredState,
  spec: ServiceSpec | undefined,
  c: ListedContainer,
  nodeAddress: string,
): { address: string; port: number } {
  const published = (c.Ports ?? []).filter((p) => p.PublicPort).sort((a, b) => a.PrivatePort - b.PrivatePort);
  if (published.length) return { address: nodeAddress, port: published[0].PublicPort! };
  const attached = c.NetworkSettings?.Networks ?? {};
  const stackNetworks = spec
    ? Object.keys(spec.networks).map((k) => desired.networks[k]?.name ?? `${desired.name}_${k}`)
    : [];
  const network =
    stackNetworks.find((n) => attached[n]?.IPAddress) ??
    Object.keys(attached)
      .sort()
      .find((n) => attached[n]?.IPAddress);
  const exposed = [
    ...(c.Ports ?? []).map((p) => p.PrivatePort),
    ...(spec?.ports ?? []).map((p) => p.target),
    ...(spec?.expose ?? []).map((e) => Number.parseInt(e, 10)),
  ].filter((n) => Number.isInteger(n) && n > 0);
  return {
    address: network ? attached[network].IPAddress! : nodeAddress,
    port: exposed.length ? Math.min(...exposed) : 0,
  };
}
