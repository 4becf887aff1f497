import test from 'ava';
import { allocationTxn, AllocationError } from '../../../src/overlay/allocate.js';
import { parseKv, type OverlayKvState } from '../../../src/overlay/state.js';
import type { KvEntry } from '../../../src/overlay/store.js';

const kv = (entries: [string, unknown][]): OverlayKvState =>
  parseKv(
    entries.map(([key, v], i): KvEntry => ({
      key,
      value: typeof v === 'string' ? v : JSON.stringify(v),
      modifyIndex: i + 10,
    })),
  );
const req = { stack: 'app', key: 'back', name: 'app_back', hosts: { h1: '10.0.0.11', h2: '10.0.0.12' } };

test('a first allocation claims the lowest VNI and subnet and one lease per host, all only-if-absent', (t) => {
  const { ops, allocation, leases } = allocationTxn(kv([]), req);
  t.deepEqual(allocation, {
    stack: 'app',
    key: 'back',
    name: 'app_back',
    vni: 256,
    subnet: '10.240.0.0/18',
    mtu: 1450,
  });
  t.deepEqual(leases.h1, { host: 'h1', slot: 1, range: '10.240.1.0/24', gateway: '10.240.1.1', underlay: '10.0.0.11' });
  t.deepEqual(leases.h2, { host: 'h2', slot: 2, range: '10.240.2.0/24', gateway: '10.240.2.1', underlay: '10.0.0.12' });
  t.true(ops.every((o) => o.verb === 'cas' && o.index === 0));
  t.deepEqual(
    ops.map((o) => o.key),
    [
      'stack/overlay/vni/256',
      'stack/overlay/subnet/10.240.0.0_18',
      'stack/overlay/subnet-generation',
      'stack/overlay/networks/app/back/allocation',
      'stack/overlay/networks/app/back/slot/1',
      'stack/overlay/networks/app/back/lease/h1',
      'stack/overlay/networks/app/back/slot/2',
      'stack/overlay/networks/app/back/lease/h2',
    ],
  );
});

test('values other networks hold are skipped; a complete allocation needs no write', (t) => {
  const state = kv([
    ['stack/overlay/vni/256', 'other/net'],
    ['stack/overlay/subnet/10.240.0.0_18', 'other/net'],
    ['stack/overlay/vni/257', 'other/two'],
  ]);
  const first = allocationTxn(state, req);
  t.is(first.allocation.vni, 258);
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
    [
      'stack/overlay/networks/app/back/lease/h1',
      { host: 'h1', slot: 1, range: '10.240.1.0/24', gateway: '10.240.1.1', underlay: '10.0.0.99' },
    ],
  ]);
  const { ops, leases } = allocationTxn(state, { ...req, hosts: { h1: '10.0.0.11', h4: '10.0.0.14' } });
  t.is(leases.h4.slot, 2);
  t.deepEqual(ops[0], {
    verb: 'cas',
    key: 'stack/overlay/networks/app/back/lease/h1',
    value: JSON.stringify({
      host: 'h1',
      slot: 1,
      range: '10.240.1.0/24',
      gateway: '10.240.1.1',
      underlay: '10.0.0.11',
    }),
    index: 12,
  });
  t.deepEqual(
    ops.slice(1).map((o) => o.key),
    ['stack/overlay/networks/app/back/slot/2', 'stack/overlay/networks/app/back/lease/h4'],
  );
});

test('an exhausted pool and an unusable pool are errors that say so', (t) => {
  const full = kv([
    ['stack/overlay/config', { vniFirst: 10, vniLast: 10 }],
    ['stack/overlay/vni/10', 'x/y'],
  ]);
  t.throws(() => allocationTxn(full, req), { instanceOf: AllocationError, message: /no free VNI left in 10-10/ });
  const noSubnet = kv([
    ['stack/overlay/config', { subnet: '10.9.0.0/17', networkPrefix: 18 }],
    ['stack/overlay/subnet/10.9.0.0_18', 'x/y'],
    ['stack/overlay/subnet/10.9.64.0_18', 'x/z'],
  ]);
  t.throws(() => allocationTxn(noSubnet, req), { message: /no free subnet left in 10.9.0.0\/17/ });
  const bad = kv([['stack/overlay/config', { networkPrefix: 30 }]]);
  t.throws(() => allocationTxn(bad, req), { message: /pool in stack\/overlay\/config is unusable/ });
  const oneSlot = kv([['stack/overlay/config', { networkPrefix: 23 }]]);
  t.throws(() => allocationTxn(oneSlot, req), {
    message: 'network app_back: no free host lease left in 10.240.0.0/23 (1 hosts at most, one /24 each)',
  });
});

const claimOf = (ops: { key: string }[], key: string) => ops.find((o) => o.key === key);

test("a pool subnet overlaps neither a network on the hosts nor another network's claim, equal or not", (t) => {
  const state = kv([['stack/overlay/subnet/10.240.70.0_24', 'other/fixed']]);
  const { allocation } = allocationTxn(state, {
    ...req,
    inUse: [
      { subnet: '10.240.3.0/24', network: 'handmade', hosts: ['h2'] },
      { subnet: 'fd00::/64', network: 'v6', hosts: ['h1'] },
    ],
  });
  t.is(allocation.subnet, '10.240.128.0/18', '10.240.0.0/18 holds handmade, 10.240.64.0/18 holds other/fixed');
  t.false('fixed' in allocation);
  const full = kv([
    ['stack/overlay/config', { subnet: '10.9.0.0/17', networkPrefix: 18 }],
    ['stack/overlay/subnet/10.9.0.0_18', 'x/y'],
  ]);
  t.throws(
    () => allocationTxn(full, { ...req, inUse: [{ subnet: '10.9.64.0/20', network: 'handmade', hosts: ['h1'] }] }),
    {
      instanceOf: AllocationError,
      message:
        "no free subnet left in 10.9.0.0/17 (/18 each, none overlapping another network's claim or a network on the hosts)",
    },
  );
});

test('every subnet claim is check-and-set on the generation key too, so overlapping claims cannot both succeed', (t) => {
  const absent = allocationTxn(kv([]), req);
  t.deepEqual(claimOf(absent.ops, 'stack/overlay/subnet-generation'), {
    verb: 'cas',
    key: 'stack/overlay/subnet-generation',
    value: '1',
    index: 0,
  });
  const state = kv([['stack/overlay/subnet-generation', '41']]);
  t.is(state.subnetGeneration, 10);
  t.deepEqual(
    claimOf(allocationTxn(state, req).ops, 'stack/overlay/subnet-generation'),
    { verb: 'cas', key: 'stack/overlay/subnet-generation', value: '42', index: 10 },
    'a count, naming no network (a released one would linger)',
  );
});

test('a fixed subnet is claimed as given (canonical), marked fixed, its leases cut from it', (t) => {
  const { ops, allocation, leases } = allocationTxn(kv([]), {
    ...req,
    subnet: '10.20.0.9/22',
    inUse: [{ subnet: '172.17.0.0/16', network: 'bridge', hosts: ['h1'] }],
  });
  t.deepEqual(allocation, {
    stack: 'app',
    key: 'back',
    name: 'app_back',
    vni: 256,
    subnet: '10.20.0.0/22',
    mtu: 1450,
    fixed: true,
  });
  t.deepEqual(claimOf(ops, 'stack/overlay/subnet/10.20.0.0_22'), {
    verb: 'cas',
    key: 'stack/overlay/subnet/10.20.0.0_22',
    value: 'app/back',
    index: 0,
  });
  t.deepEqual(leases.h2, { host: 'h2', slot: 2, range: '10.20.2.0/24', gateway: '10.20.2.1', underlay: '10.0.0.12' });
});

test('a fixed subnet that overlaps a claim, a network on the hosts, or is too small is an allocation error naming both; nothing is written', (t) => {
  const state = kv([['stack/overlay/subnet/10.240.0.0_18', 'other/net']]);
  t.throws(() => allocationTxn(state, { ...req, subnet: '10.240.8.0/22' }), {
    instanceOf: AllocationError,
    message:
      'network app_back: subnet 10.240.8.0/22 overlaps 10.240.0.0/18 of overlay network other/net (claimed in Consul)',
  });
  t.throws(
    () =>
      allocationTxn(kv([]), {
        ...req,
        subnet: '10.20.0.0/22',
        inUse: [{ subnet: '10.20.1.0/24', network: 'handmade', hosts: ['h1', 'h2'] }],
      }),
    {
      message: 'network app_back: subnet 10.20.0.0/22 overlaps existing network handmade (10.20.1.0/24) on h1, h2',
    },
  );
  t.throws(() => allocationTxn(kv([]), { ...req, subnet: '10.20.0.0/24' }), {
    message: 'network app_back: subnet 10.20.0.0/24 holds 0 host leases of /24, and the network spans 2 hosts',
  });
  t.throws(() => allocationTxn(kv([]), { ...req, subnet: 'fd00::/64' }), {
    message: 'network app_back: subnet fd00::/64 is not an IPv4 CIDR block',
  });
  // Its own claim is no conflict (a retry after its own allocation was written is complete, not an error).
  const own = allocationTxn(kv([]), { ...req, subnet: '10.20.0.0/22' });
  const done = kv([
    ['stack/overlay/subnet/10.20.0.0_22', 'app/back'],
    ['stack/overlay/networks/app/back/allocation', own.allocation],
    ['stack/overlay/networks/app/back/slot/1', 'h1'],
    ['stack/overlay/networks/app/back/lease/h1', own.leases.h1],
    ['stack/overlay/networks/app/back/slot/2', 'h2'],
    ['stack/overlay/networks/app/back/lease/h2', own.leases.h2],
  ]);
  t.deepEqual(allocationTxn(done, { ...req, subnet: '10.20.0.0/22' }).ops, []);
  t.throws(() => allocationTxn(done, { ...req, subnet: '10.30.0.0/22' }), {
    message:
      'network app_back holds subnet 10.20.0.0/22 in Consul, not 10.30.0.0/22: a network cannot change its subnet in place',
  });
});
