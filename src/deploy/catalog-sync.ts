/**
 * Syncs a stack's replicas into Consul's catalog (/v1/catalog/register): registers every running replica
 * with a health snapshot, deregisters the stack's instances that no longer run. Called after apply and by
 * `stack status`; list calls on the hosts, catalog writes in Consul, nothing else.
 */
import os from 'node:os';
import { clientsFor, type HostClient } from '../docker/client.js';
import { stackFilter, type StackOwner } from '../labels.js';
import type { DesiredState, HostSpec } from '../stack/types.js';
import type { ConsulClient } from '../consul/client.js';
import {
  catalogEntries,
  hostAddress,
  REPLICA_ENTRY,
  type CatalogEntry,
  type ListedContainer,
} from './catalog-entries.js';
import { catalogNode } from '../overlay/names.js';
import { parseCatalogNode } from '../state/stored.js';
import type { Held } from './locked.js';
import type { DeployIO } from './io.js';

export interface CatalogSyncResult {
  registered: string[];
  deregistered: string[];
  /** Hosts that could not be listed: their entries were left as they were. */
  unreachable: string[];
}

function localAddress(): string {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

interface SyncOptions {
  revision?: number;
  destroyed?: boolean;
  clients?: ReadonlyMap<string, HostClient>;
  owner?: StackOwner;
}

type CatalogNodeServices = {
  Services?: Record<string, { ID: string; Meta?: Record<string, string> | null }> | null;
} | null;

export async function syncCatalog(
  consul: ConsulClient,
  desired: DesiredState,
  options: SyncOptions = {},
): Promise<CatalogSyncResult> {
  const clients = options.clients ?? clientsFor(desired.hosts);
  const result: CatalogSyncResult = { registered: [], deregistered: [], unreachable: [] };
  const fallback = localAddress();
  // Hosts in parallel, and the registrations of one host in parallel: one round trip to Consul, not one per replica.
  await Promise.all(
    desired.hosts.map(async (host) => {
      const entries = await hostEntries(desired, host, hostAddress(host, fallback), clients, options);
      if (!entries) return void result.unreachable.push(host.name);
      await syncNode(consul, desired.name, catalogNode(host.name), entries, result);
    }),
  );
  for (const list of [result.registered, result.deregistered, result.unreachable]) list.sort();
  return result;
}

/** The catalog entries of one host's running replicas (none after a destroy); undefined when it cannot be listed. */
async function hostEntries(
  desired: DesiredState,
  host: HostSpec,
  address: string,
  clients: ReadonlyMap<string, HostClient>,
  options: SyncOptions,
): Promise<CatalogEntry[] | undefined> {
  if (options.destroyed) return [];
  try {
    const list = (await clients
      .get(host.name)!
      .listContainers(stackFilter(desired.name, options.owner))) as ListedContainer[];
    return catalogEntries(desired, host, address, list, options.revision);
  } catch {
    return undefined;
  }
}

/** Registers `entries` on one catalog node and deregisters the stack's replicas there that are not among them. */
async function syncNode(
  consul: ConsulClient,
  stack: string,
  nodeName: string,
  entries: CatalogEntry[],
  result: CatalogSyncResult,
): Promise<void> {
  const [node] = await Promise.all([
    consul
      .call(`read node ${nodeName} from the catalog`, (api) => api.catalog.node.services(nodeName))
      .then((v) => parseCatalogNode<CatalogNodeServices>(`catalog node ${nodeName}`, v ?? null)),
    ...entries.map(async (e) => {
      await register(consul, e);
      result.registered.push(`${e.node}/${e.service.id}`);
    }),
  ]);
  const keep = new Set(entries.map((e) => e.service.id));
  const gone = Object.values(node?.Services ?? {}).filter(
    (s) => s.Meta?.stack === stack && s.Meta?.entry === REPLICA_ENTRY.entry && !keep.has(s.ID),
  );
  await Promise.all(
    gone.map(async (s) => {
      await consul.write(`deregister ${s.ID} from the catalog`, (api) =>
        api.catalog.deregister({ node: nodeName, serviceid: s.ID }),
      );
      result.deregistered.push(`${nodeName}/${s.ID}`);
    }),
  );
}

async function register(consul: ConsulClient, e: CatalogEntry): Promise<void> {
  await consul.write(`register ${e.service.id} in the catalog`, (api) =>
    api.catalog.register({
      node: e.node,
      address: e.nodeAddress,
      nodemeta: { 'external-node': 'true', 'external-probe': 'false', 'managed-by': 'stack' },
      service: {
        id: e.service.id,
        service: e.service.name,
        address: e.service.address,
        port: e.service.port,
        tags: e.service.tags,
        meta: e.service.meta,
      },
      check: {
        node: e.node,
        checkid: `service:${e.service.id}`,
        name: 'Docker health (snapshot)',
        serviceid: e.service.id,
        status: e.check.status,
        notes: e.check.notes,
      },
    }),
  );
}

/** With Consul, after a run that holds the lock: registers the stack's running replicas, deregisters the rest. */
export async function catalogAfter(
  desired: DesiredState,
  held: Held,
  run: {
    destroyed: boolean;
    clients: ReadonlyMap<string, HostClient>;
    owner: StackOwner;
    /** The revision this run records (written beside the sync); else the newest stored one is read. */
    revision?: number;
  },
  io: Pick<DeployIO, 'warn'>,
): Promise<void> {
  if (!held.consul) return;
  try {
    // The apply's own host clients: their connections are open already.
    await syncCatalog(held.consul, desired, {
      revision: run.destroyed ? undefined : (run.revision ?? (await held.store.list(desired.name)).at(-1)?.number),
      destroyed: run.destroyed,
      clients: run.clients,
      owner: run.owner,
    });
  } catch (err) {
    io.warn([
      {
        severity: 'warning',
        summary: `could not update the Consul catalog: ${err instanceof Error ? err.message : String(err)}`,
      },
    ]);
  }
}
