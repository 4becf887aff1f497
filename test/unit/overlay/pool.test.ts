import test from 'ava';
import {
  DEFAULT_POOL,
  lease,
  leaseSlots,
  networkCount,
  networkSubnet,
  parseCidr,
  poolProblems,
  intToIp,
} from '../../../src/overlay/pool.js';
import { parseKv } from '../../../src/overlay/state.js';
import * as pool from '../../../src/overlay/pool.js';

test('default pool: 64 networks of /18 in 10.240.0.0/12, 63 host leases of /24 each', (t) => {
  t.is(networkCount(DEFAULT_POOL), 64);
  t.is(networkSubnet(DEFAULT_POOL, 0), '10.240.0.0/18');
  t.is(networkSubnet(DEFAULT_POOL, 1), '10.240.64.0/18');
  t.is(networkSubnet(DEFAULT_POOL, 63), '10.255.192.0/18');
  t.is(leaseSlots(DEFAULT_POOL), 63);
  t.deepEqual(lease('10.240.64.0/18', 24, 1), { range: '10.240.65.0/24', gateway: '10.240.65.1' });
  t.deepEqual(lease('10.240.64.0/18', 24, 63), { range: '10.240.127.0/24', gateway: '10.240.127.1' });
});

test('CIDR parsing masks the host part and refuses nonsense', (t) => {
  t.deepEqual(parseCidr('10.240.3.7/16'), { base: 0x0af00000, prefix: 16 });
  t.is(intToIp(parseCidr('192.168.1.9/24').base), '192.168.1.0');
  t.throws(() => parseCidr('10.240.0.0'), { message: /not a CIDR/ });
  t.throws(() => parseCidr('10.240.0.300/16'), { message: /not an IPv4/ });
});

test("pool overrides from Consul; an unusable pool is named; an old config's helperImage is ignored, with a note", (t) => {
  const kv = parseKv([
    {
      key: 'stack/overlay/config',
      value: '{"subnet":"10.100.0.0/16","networkPrefix":20,"helperImage":"x/busybox:1"}',
      modifyIndex: 1,
    },
  ]);
  const p = kv.pool;
  t.false('helperImage' in p);
  t.regex(kv.notes.join(), /^stack\/overlay\/config: helperImage is no longer read from Consul/);
  t.is(p.subnet, '10.100.0.0/16');
  t.is(p.leasePrefix, 24);
  t.is(networkCount(p), 16);
  t.is(leaseSlots(p), 15);
  t.deepEqual(poolProblems(p), []);
  t.regex(poolProblems({ ...p, networkPrefix: 25 }).join(), /networkPrefix/);
  t.regex(poolProblems({ ...p, vniFirst: 0 }).join(), /VNI range/);
  t.regex(poolProblems({ ...p, subnet: 'nope' }).join(), /not a CIDR/);
});

test('subnet arithmetic for fixed subnets: canonical form, overlap, lease slots', (t) => {
  const { canonicalCidr, cidrOverlaps, leaseSlotsIn } = pool;
  t.is(canonicalCidr('10.20.3.7/22'), '10.20.0.0/22');
  t.true(cidrOverlaps('10.240.0.0/18', '10.240.63.0/24'));
  t.true(cidrOverlaps('10.240.1.0/24', '10.240.0.0/12'));
  t.false(cidrOverlaps('10.240.0.0/18', '10.240.64.0/24'));
  t.is(leaseSlotsIn('10.20.0.0/22', 24), 3);
  t.is(leaseSlotsIn('10.20.0.0/24', 24), 0);
  t.throws(() => canonicalCidr('fd00::/64'), { message: 'not a CIDR: fd00::/64' });
});

test("the default VNIs lie below 4096, where Docker's overlay drivers start theirs, and cover every network", (t) => {
  t.true(DEFAULT_POOL.vniFirst >= 1 && DEFAULT_POOL.vniLast < 4096);
  t.true(DEFAULT_POOL.vniLast - DEFAULT_POOL.vniFirst + 1 >= networkCount(DEFAULT_POOL));
  t.deepEqual(poolProblems(DEFAULT_POOL), []);
});
