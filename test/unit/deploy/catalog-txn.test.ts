/** A node's catalog writes as Consul transactions: node first, each replica's service with its check, ≤ 64 ops each. */
import test from 'ava';
import type { CatalogEntry } from '../../../src/deploy/catalog-entries.js';
import {
  deregistrationTxns,
  registrationTxns,
  TXN_MAX_OPS,
  type CatalogTxnOp,
} from '../../../src/deploy/catalog-txn.js';

const entry = (i: number): CatalogEntry => ({
  node: 'stack-h1',
  nodeAddress: '10.0.0.11',
  service: {
    id: `s-api-${i}`,
    name: 's-api',
    address: `10.1.0.${i}`,
    port: 8080,
    tags: ['team=a'],
    meta: { entry: 'replica', stack: 's', service: 'api', slot: String(i) },
  },
  check: { status: i % 2 ? 'passing' : 'critical', notes: 'docker: Up 2 seconds' },
});
const entries = (n: number) => Array.from({ length: n }, (_, i) => entry(i + 1));
const serviceIds = (ops: CatalogTxnOp[]) => ops.flatMap((op) => ('Service' in op ? [op.Service.Service.ID] : []));

test('no replicas: no transaction (not even the node)', (t) => {
  t.deepEqual(registrationTxns([]), []);
  t.deepEqual(deregistrationTxns('stack-h1', []), []);
});

test("one replica: the node with stack's meta, the service, and its check bound to it, in that order", (t) => {
  t.deepEqual(registrationTxns([entry(1)]), [
    [
      {
        Node: {
          Verb: 'set',
          Node: {
            Node: 'stack-h1',
            Address: '10.0.0.11',
            Meta: { 'external-node': 'true', 'external-probe': 'false', 'managed-by': 'stack' },
          },
        },
      },
      {
        Service: {
          Verb: 'set',
          Node: 'stack-h1',
          Service: {
            ID: 's-api-1',
            Service: 's-api',
            Address: '10.1.0.1',
            Port: 8080,
            Tags: ['team=a'],
            Meta: { entry: 'replica', stack: 's', service: 'api', slot: '1' },
          },
        },
      },
      {
        Check: {
          Verb: 'set',
          Check: {
            Node: 'stack-h1',
            CheckID: 'service:s-api-1',
            Name: 'Docker health (snapshot)',
            ServiceID: 's-api-1',
            Status: 'passing',
            Notes: 'docker: Up 2 seconds',
          },
        },
      },
    ],
  ]);
});

test("70 replicas: three transactions under Consul's 64 operations, each led by the node, no replica split or lost", (t) => {
  const txns = registrationTxns(entries(70));
  t.deepEqual(
    txns.map((ops) => ops.length),
    [63, 63, 17],
  );
  for (const ops of txns) {
    t.true(ops.length <= TXN_MAX_OPS);
    t.true('Node' in ops[0]);
    for (let i = 1; i < ops.length; i += 2) {
      const [svc, check] = [ops[i], ops[i + 1]];
      if (!('Service' in svc) || !('Check' in check)) return t.fail(`op ${i}: a service, then its check`);
      t.is(check.Check.Check.ServiceID, svc.Service.Service.ID);
    }
  }
  t.deepEqual(
    txns.flatMap(serviceIds),
    entries(70).map((e) => e.service.id),
  );
});

test('deregistrations: a delete per instance on the node, with its service name (Consul asks for it), 64 per transaction', (t) => {
  const ids = Array.from({ length: 65 }, (_, i) => `gone-${i}`);
  const txns = deregistrationTxns(
    'stack-h2',
    ids.map((id) => ({ id, service: 's-api' })),
  );
  t.deepEqual(
    txns.map((ops) => ops.length),
    [64, 1],
  );
  t.deepEqual(txns[1], [
    { Service: { Verb: 'delete', Node: 'stack-h2', Service: { ID: 'gone-64', Service: 's-api' } } },
  ]);
  t.deepEqual(txns.flatMap(serviceIds), ids);
});

test('a smaller limit is honoured (one op for the node, then whole replicas)', (t) => {
  t.deepEqual(
    registrationTxns(entries(5), 6).map((ops) => ops.length),
    [5, 5, 3],
  );
});
