/**
 * What stack's own overlay needs from Consul, behind one small interface: a recursive KV read, an
 * atomic transaction (check-and-set), and catalog registration. `ConsulHttpStore` implements it over
 * Consul's HTTP API; when src/consul/ lands this is the one place to switch to its client.
 */

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
  /** Where the store is, for messages. */
  readonly address: string;
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

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

type Obj = Record<string, any>;

/** Consul over HTTP (fetch); every call times out and names Consul's address in its error. */
export class ConsulHttpStore implements OverlayStore {
  constructor(
    readonly address: string,
    private readonly timeoutMs = 5_000,
  ) {}

  private async request(method: string, path: string, body?: unknown, okStatus: number[] = [200]): Promise<{ status: number; json: unknown }> {
    const url = `${this.address.replace(/\/$/, '')}${path}`;
    let res: Response;
    try {
      res = await fetch(url, { method, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.timeoutMs), headers: { 'content-type': 'application/json' } });
    } catch (err) {
      throw new StoreError(`consul ${this.address} is unreachable (${method} ${path}): ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    if (!okStatus.includes(res.status)) throw new StoreError(`consul ${this.address}: ${method} ${path}: HTTP ${res.status} ${text.trim().slice(0, 300)}`);
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }

  async list(prefix: string): Promise<KvEntry[]> {
    const { status, json } = await this.request('GET', `/v1/kv/${encodeURI(prefix)}?recurse=true`, undefined, [200, 404]);
    if (status === 404) return [];
    return (json as Obj[]).map((e) => ({ key: e.Key, value: e.Value === null ? '' : Buffer.from(e.Value, 'base64').toString('utf8'), modifyIndex: e.ModifyIndex }));
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
    const { status, json } = await this.request('PUT', '/v1/txn', body, [200, 409]);
    if (status === 409) {
      const errors = ((json as Obj)?.Errors ?? []) as Obj[];
      // A failed check-and-set is a conflict; anything else is a real error.
      if (errors.every((e) => /cas|index|exist/i.test(String(e.What)))) return false;
      throw new StoreError(`consul ${this.address}: transaction failed: ${errors.map((e) => e.What).join('; ')}`);
    }
    return true;
  }

  async register(r: CatalogRegistration): Promise<void> {
    await this.request('PUT', '/v1/catalog/register', {
      Node: r.node,
      Address: r.nodeAddress,
      SkipNodeUpdate: true,
      Service: { ID: r.serviceId, Service: r.service, Tags: r.tags, Address: r.address, Meta: r.meta },
    });
  }

  async deregister(node: string, serviceId: string): Promise<void> {
    await this.request('PUT', '/v1/catalog/deregister', { Node: node, ServiceID: serviceId });
  }

  async service(name: string): Promise<CatalogEntry[]> {
    const { json } = await this.request('GET', `/v1/catalog/service/${encodeURIComponent(name)}`);
    return (json as Obj[]).map((e) => ({ node: e.Node, serviceId: e.ServiceID, service: e.ServiceName, tags: e.ServiceTags ?? [], address: e.ServiceAddress, meta: e.ServiceMeta ?? {} }));
  }

  async services(): Promise<Record<string, string[]>> {
    const { json } = await this.request('GET', '/v1/catalog/services');
    return json as Record<string, string[]>;
  }
}
