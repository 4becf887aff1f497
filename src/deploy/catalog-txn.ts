/**
 * One catalog node's writes as Consul transactions (`PUT /v1/txn`): a node's replicas registered with a few
 * requests instead of one `/v1/catalog/register` each, every replica's service and its health check in the same
 * transaction (both or neither). Pure: entries in, operation lists out.
 */
import type { CatalogEntry } from './catalog-entries.js';
import { CATALOG_NODE_META } from '../overlay/names.js';

import { inGroups, TXN_MAX_OPS } from '../consul/txn.js';

export { TXN_MAX_OPS };

interface TxnNode {
  Node: string;
  Address: string;
  Meta: Record<string, string>;
}

interface TxnService {
  ID: string;
  Service?: string;
  Address?: string;
  Port?: number;
  Tags?: string[];
  Meta?: Record<string, string>;
}

interface TxnCheck {
  Node: string;
  CheckID: string;
  Name: string;
  ServiceID: string;
  Status: string;
  Notes: string;
}

/** One operation of a catalog transaction, as Consul's `/v1/txn` takes it. */
export type CatalogTxnOp =
  | { Node: { Verb: 'set'; Node: TxnNode } }
  | { Service: { Verb: 'set' | 'delete'; Node: string; Service: TxnService } }
  | { Check: { Verb: 'set'; Check: TxnCheck } };

/**
 * The transactions that register `entries` (all on one node): each starts by setting the node (so each stands on
 * its own and they can be sent side by side), then per replica its service and its check. None for no entries.
 */
export function registrationTxns(entries: readonly CatalogEntry[], maxOps = TXN_MAX_OPS): CatalogTxnOp[][] {
  if (!entries.length) return [];
  const perTxn = Math.floor((maxOps - 1) / 2);
  const { node, nodeAddress } = entries[0];
  const nodeOp: CatalogTxnOp = {
    Node: { Verb: 'set', Node: { Node: node, Address: nodeAddress, Meta: { ...CATALOG_NODE_META } } },
  };
  return inGroups(entries, perTxn).map((part) => [nodeOp, ...part.flatMap(replicaOps)]);
}

/** A replica's service and its health snapshot. */
function replicaOps(e: CatalogEntry): CatalogTxnOp[] {
  const { id, name, address, port, tags, meta } = e.service;
  return [
    {
      Service: {
        Verb: 'set',
        Node: e.node,
        Service: { ID: id, Service: name, Address: address, Port: port, Tags: tags, Meta: meta },
      },
    },
    {
      Check: {
        Verb: 'set',
        Check: {
          Node: e.node,
          CheckID: `service:${id}`,
          Name: 'Docker health (snapshot)',
          ServiceID: id,
          Status: e.check.status,
          Notes: e.check.notes,
        },
      },
    },
  ];
}

/** A service instance on a node: its ID and its service's name (Consul's delete asks for both). */
export interface CatalogInstance {
  id: string;
  service: string;
}

/** The transactions that deregister `instances` of `node` (Consul removes their checks with them). */
export function deregistrationTxns(
  node: string,
  instances: readonly CatalogInstance[],
  maxOps = TXN_MAX_OPS,
): CatalogTxnOp[][] {
  return inGroups(instances, maxOps).map((part) =>
    part.map((i): CatalogTxnOp => ({
      Service: { Verb: 'delete', Node: node, Service: { ID: i.id, Service: i.service } },
    })),
  );
}
