import test from 'ava';
import { contains, overlaps, parseAddress, parseCidr } from '../../../src/stack/cidr.js';

test('IPv4 and IPv6 blocks parse to ranges; bad ones do not', (t) => {
  t.like(parseCidr('10.1.2.3/16'), { family: 4, first: 0x0a010000n, last: 0x0a01ffffn });
  t.like(parseCidr('fd00::/64'), { family: 6 });
  t.like(parseCidr('::ffff:10.0.0.0/120'), { family: 6 });
  for (const bad of [
    '10.1.0.0',
    '10.1.0.0/33',
    '10.256.0.0/16',
    'fd00::/129',
    'fd00::1::/64',
    'x/8',
    '1:2:3:4:5:6:7:8:9/64',
  ])
    t.is(parseCidr(bad), undefined, bad);
});

test('overlap and containment', (t) => {
  const c = (s: string) => parseCidr(s)!;
  t.true(overlaps(c('10.0.0.0/8'), c('10.20.0.0/24')));
  t.false(overlaps(c('10.20.0.0/24'), c('10.20.1.0/24')));
  t.false(overlaps(c('10.0.0.0/8'), c('fd00::/8')));
  t.true(overlaps(c('fd00:1::/64'), c('fd00:1::/96')));
  t.true(contains(c('10.20.0.0/24'), parseAddress('10.20.0.1')!));
  t.false(contains(c('10.20.0.0/24'), parseAddress('10.21.0.1')!));
});
