import test from 'ava';
import { allocationTxn, AllocationError } from '../../../src/overlay/allocate.js';
import { parseKv, type OverlayKvState } from '../../../src/overlay/state.js';
import type { KvEntry } from '../../../src/overlay/store.js';

const kv = (entries: [string, unknown][]): OverlayKvState => parseKv(entries.map(([key, v], i): KvEntry => ({ key, value: typeof v === 'string' ? v : JSON.stringify(v), modifyIndex: i + 10 })));
const req = { stack: 'app', key: 'back', name: 'app_back', hosts: { h1: '10.0.0.11', h2: '10.0.0.12' } };

test('a first allocation claims the lowest VNI and subnet and one lease per host, all only-if-absent', (t) => {
  const { ops, allocation, leases } = allocationTxn(kv([]), req);
  t.deepEqual(allocation, { stack: 'app', key: 'back', name: 'app_back', vni: 4096, subnet: '10.240.0.0/18', mtu: 1450 });
  t.deepEqual(leases.h1, { host: 'h1', slot: 1, range: '10.240.1.0/24', gateway: '10.240.1.1', underlay: '10.0.0.11' });
  t.deepEqual(leases.h2, { host: 'h2', slot: 2, range: '10.240.2.0/24', gateway: '10.240.2.1', underlay: '10.0.0.12' });
  t.true(ops.every((o) => o.verb === 'cas' && o.index === 0));
  t.deepEqual(
    ops.map((o) => o.key),
    ['stack/overlay/vni/4096', 'stack/overlay/subnet/10.240.0.0_18', 'stack/overlay/networks/app/back/allocation', 'stack/overlay/networks/app/back/slot/1', 'stack/overlay/networks/app/back/lease/h1', 'stack/overlay/networks/app/back/slot/2', 'stack/overlay/networks/app/back/lease/h2'],
  );
});

test('values other networks hold are skipped; a complete allocation needs no write', (t) => {
  const state = kv([
    ['stack/overlay/vni/4096', 'other/net'],
    ['stack/overlay/subnet/10.240.0.0_18', 'other/net'],
    ['stack/overlay/vni/4097', 'other/two'],
  ]);
  const first = allocationTxn(state, req);
  t.is(first.allocation.vni, 4098);
  t.is(first.allocation.subnet, '10.240.64.0/18');
  const done = kv([
    ['stack/overlay/networks/app/back/allocation', first.allocation],
    ['stack/overlay/networks/app/back/slot/1', 'h1'],
    ['stack/overlay/networks/app/back/lease/h1', first.leases.h1],
    ['stack/overlay/networks/app/back/slot/2', 'h2'],
    ['stack/overlay/networks/app/back/lease/h2', first.leases.h2],
  ]);
  t.deepEqual(allocationTxn(done, req).ops, []);
});

test('a new host gets the next free slot; a moved host updates its underlay with check-and-set', (t) => {
  const alloc = { stack: 'app', key: 'back', name: 'app_back', vni: 4096, subnet: '10.240.0.0/18', mtu: 1450 };
  const state = kv([
    ['stack/overlay/networks/app/back/allocation', alloc],
    ['stack/overlay/networks/app/back/slot/1', 'h1'],
    ['stack/overlay/networks/app/back/lease/h1', { host: 'h1', slot: 1, range: '10.240.1.0/24', gateway: '10.240.1.1', underlay: '10.0.0.99' }],
  ]);
  const { ops, leases } = allocationTxn(state, { ...req, hosts: { h1: '10.0.0.11', h4: '10.0.0.14' } });
  t.is(leases.h4.slot, 2);
  t.deepEqual(ops[0], { verb: 'cas', key: 'stack/overlay/networks/app/back/lease/h1', value: JSON.stringify({ host: 'h1', slot: 1, range: '10.240.1.0/24', gateway: '10.240.1.1', underlay: '10.0.0.11' }), index: 12 });
  t.deepEqual(ops.slice(1).map((o) => o.key), ['stack/overlay/networks/app/back/slot/2', 'stack/overlay/networks/app/back/lease/h4']);
});

test('an exhausted pool and an unusable pool are errors that say so', (t) => {
  const full = kv([['stack/overlay/config', { vniFirst: 10, vniLast: 10 }], ['stack/overlay/vni/10', 'x/y']]);
  t.throws(() => allocationTxn(full, req), { instanceOf: AllocationError, message: /no free VNI left in 10-10/ });
  const noSubnet = kv([['stack/overlay/config', { subnet: '10.9.0.0/17', networkPrefix: 18 }], ['stack/overlay/subnet/10.9.0.0_18', 'x/y'], ['stack/overlay/subnet/10.9.64.0_18', 'x/z']]);
  t.throws(() => allocationTxn(noSubnet, req), { message: /no free subnet left in 10.9.0.0\/17/ });
  const bad = kv([['stack/overlay/config', { networkPrefix: 30 }]]);
  t.throws(() => allocationTxn(bad, req), { message: /pool in stack\/overlay\/config is unusable/ });
  const oneSlot = kv([['stack/overlay/config', { networkPrefix: 23 }]]);
  t.throws(() => allocationTxn(oneSlot, req), { message: /no free host lease left \(1 hosts at most\)/ });
});
