/**
 * What stack's own overlay needs from Consul, behind one small interface: a recursive KV read, an
 * atomic transaction (check-and-set), and catalog registration. `ConsulOverlayStore` implements it over
 * src/consul's client (one per run), so address, token, TLS and error messages are the same everywhere.
 */
import { ConsulClient } from '../consul/client.js';
import { CATALOG_NODE_META } from './names.js';

/** One KV entry; `modifyIndex` is what check-and-set compares against. */
export interface KvEntry {
  key: string;
  value: string;
  modifyIndex: number;
}

/** One operation of a Consul KV transaction (`/v1/txn`); `cas` with index 0 means "only if absent". */
export type TxnOp =
  | { verb: 'cas'; key: string; value: string; index: number }
  | { verb: 'set'; key: string; value: string }
  | { verb: 'delete-cas'; key: string; index: number }
  | { verb: 'delete-tree'; key: string };

/** A service instance in Consul's catalog (one per replica and network). */
export interface CatalogRegistration {
  /** Catalog node: one per Docker host (`stack-h1`). */
  node: string;
  /** The node's address: the host's underlay address. */
  nodeAddress: string;
  serviceId: string;
  service: string;
  tags: string[];
  /** The replica's address on the overlay. */
  address: string;
  meta: Record<string, string>;
}

export interface CatalogEntry {
  node: string;
  serviceId: string;
  service: string;
  tags: string[];
  address: string;
  meta: Record<string, string>;
}

export interface OverlayStore {
  /** Where the store is, for messages: the first server named. */
  readonly address: string;
  /** Every server named (the address first): the containers' DNS servers. */
  readonly servers: readonly string[];
  /** Every entry under a prefix (none → []). */
  list(prefix: string): Promise<KvEntry[]>;
  /** Runs the operations atomically; false when a check-and-set failed (nothing was written). */
  txn(ops: TxnOp[]): Promise<boolean>;
  register(r: CatalogRegistration): Promise<void>;
  deregister(node: string, serviceId: string): Promise<void>;
  /** Instances of a catalog service. */
  service(name: string): Promise<CatalogEntry[]>;
  /** Names of every catalog service, with their tags. */
  services(): Promise<Record<string, string[]>>;
}

/** A KV entry as Consul's API returns it. */
interface ConsulKvItem {
  Key: string;
  Value?: string | null;
  ModifyIndex: number;
}

/** A catalog entry as Consul's API returns it. */
interface ConsulCatalogItem {
  Node: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags?: string[] | null;
  ServiceAddress: string;
  ServiceMeta?: Record<string, string> | null;
}

/** Over src/consul's client (address, token, TLS, and its unreachable/request errors). */
export class ConsulOverlayStore implements OverlayStore {
  readonly address: string;
  readonly servers: readonly string[];

  constructor(private readonly consul: ConsulClient) {
    this.address = consul.address;
    this.servers = consul.servers;
  }

  async list(prefix: string): Promise<KvEntry[]> {
    const items = (await this.consul.call(`read ${prefix}`, (api) => api.kv.get({ key: prefix, recurse: true }))) as
      ConsulKvItem[] | undefined;
    return (items ?? []).map((e) => ({ key: e.Key, value: e.Value ?? '', modifyIndex: e.ModifyIndex }));
  }

  async txn(ops: TxnOp[]): Promise<boolean> {
    if (!ops.length) return true;
    const body = ops.map((op) => {
      switch (op.verb) {
        case 'cas':
          return { KV: { Verb: 'cas', Key: op.key, Value: Buffer.from(op.value).toString('base64'), Index: op.index } };
        case 'set':
          return { KV: { Verb: 'set', Key: op.key, Value: Buffer.from(op.value).toString('base64') } };
        case 'delete-cas':
          return { KV: { Verb: 'delete-cas', Key: op.key, Index: op.index } };
        case 'delete-tree':
          return { KV: { Verb: 'delete-tree', Key: op.key } };
      }
    });
    try {
      await this.consul.write('write overlay state (transaction)', (api) => api.transaction.create(body as never)); // the JS takes the list itself (its .d.ts says otherwise)
      return true;
    } catch (err) {
      // 409: the transaction was rolled back (a check-and-set lost); nothing was written.
      if (ConsulClient.statusOf(err) === 409) return false;
      throw err;
    }
  }

  async register(r: CatalogRegistration): Promise<void> {
    await this.consul.write(`register ${r.serviceId} in the catalog`, (api) =>
      api.catalog.register({
        node: r.node,
        address: r.nodeAddress,
        nodemeta: CATALOG_NODE_META,
        service: { id: r.serviceId, service: r.service, address: r.address, tags: r.tags, meta: r.meta },
      } as never),
    );
  }

  async deregister(node: string, serviceId: string): Promise<void> {
    await this.consul.write(`deregister ${serviceId} from the catalog`, (api) =>
      api.catalog.deregister({ node, serviceid: serviceId } as never),
    );
  }

  async service(name: string): Promise<CatalogEntry[]> {
    const list = (await this.consul.call(`read catalog service ${name}`, (api) =>
      api.catalog.service.nodes(name),
    )) as ConsulCatalogItem[];
    return list.map((e) => ({
      node: e.Node,
      serviceId: e.ServiceID,
      service: e.ServiceName,
      tags: e.ServiceTags ?? [],
      address: e.ServiceAddress,
      meta: e.ServiceMeta ?? {},
    }));
  }

  async services(): Promise<Record<string, string[]>> {
    const list: unknown = await this.consul.call('list catalog services', (api) => api.catalog.service.list());
    return list as Record<string, string[]>;
  }
}
