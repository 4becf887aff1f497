/**
 * Syncs a stack's replicas into Consul's catalog (as `/v1/txn` transactions of catalog operations): registers every
 * running replica with a health snapshot, deregisters the stack's instances that no longer run. Called after apply and by
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
import { deregistrationTxns, registrationTxns, type CatalogTxnOp } from './catalog-txn.js';
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
  Services?: Record<string, { ID: string; Service: string; Meta?: Record<string, string> | null }> | null;
} | null;

export async function syncCatalog(
  consul: ConsulClient,
  desired: DesiredState,
  options: SyncOptions = {},
): Promise<CatalogSyncResult> {
  const clients = options.clients ?? clientsFor(desired.hosts);
  const result: CatalogSyncResult = { registered: [], deregistered: [], unreachable: [] };
  const fallback = localAddress();
  // Hosts in parallel, and a host's replicas in a transaction: one round trip to Consul, not one per replica.
  await Promise.all(
    desired.hosts.map(async (host) => {
      const entries = await hostEntries(desired, host, hostAddress(host, fallback), clients, options);
      if (!entries) return void result.unreachable.push(host.name);
      const node = await syncCatalogNode(consul, desired.name, catalogNode(host.name), entries);
      result.registered.push(...node.registered);
      result.deregistered.push(...node.deregistered);
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

/**
 * Registers `entries` on one catalog node and deregisters the stack's replicas there that are not among them: the
 * node's services read beside the registrations, each sent as a transaction of up to 31 replicas (catalog-txn.ts).
 */
export async function syncCatalogNode(
  consul: ConsulClient,
  stack: string,
  nodeName: string,
  entries: CatalogEntry[],
): Promise<Pick<CatalogSyncResult, 'registered' | 'deregistered'>> {
  const [node] = await Promise.all([
    consul
      .call(`read node ${nodeName} from the catalog`, (api) => api.catalog.node.services(nodeName))
      .then((v) => parseCatalogNode<CatalogNodeServices>(`catalog node ${nodeName}`, v ?? null)),
    ...registrationTxns(entries).map((ops) =>
      catalogTxn(consul, `register ${(ops.length - 1) / 2} replicas on ${nodeName} in the catalog`, ops),
    ),
  ]);
  const keep = new Set(entries.map((e) => e.service.id));
  const gone = Object.values(node?.Services ?? {})
    .filter((s) => s.Meta?.stack === stack && s.Meta?.entry === REPLICA_ENTRY.entry && !keep.has(s.ID))
    .map((s) => ({ id: s.ID, service: s.Service }));
  await Promise.all(
    deregistrationTxns(nodeName, gone).map((ops) =>
      catalogTxn(consul, `deregister ${ops.length} replicas on ${nodeName} from the catalog`, ops),
    ),
  );
  return {
    registered: entries.map((e) => `${e.node}/${e.service.id}`),
    deregistered: gone.map((s) => `${nodeName}/${s.id}`),
  };
}

/** One catalog transaction; refused once the run's lock is lost (a `write`). Rolled back whole if an op fails. */
async function catalogTxn(consul: ConsulClient, action: string, ops: CatalogTxnOp[]): Promise<void> {
  await consul.write(action, (api) => api.transaction.create(ops as never)); // the JS takes the list itself
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
