/**
 * Everything read from Consul under stack/overlay/ is validated against its schema before use: a poisoned value
 * (shell metacharacters, out of range, wrong type) is an error naming the key and the field, never used; the
 * plan then refuses with not one operation.
 */
import test from 'ava';
import { parseKv } from '../../../src/overlay/state.js';
import { OverlayValueError } from '../../../src/overlay/values.js';
import { reconcile } from '../../../src/plan/reconcile.js';
import { desired as buildDesired, network, observedEmpty, service } from '../plan/helpers.js';
import type { DesiredState } from '../../../src/stack/types.js';
import { endpointOf } from '../../helpers/endpoint.js';

const NET = 'stack/overlay/networks/s/k';
const ALLOC = { stack: 's', key: 'k', name: 's_k', vni: 4096, subnet: '10.240.0.0/18', mtu: 1450 };
const LEASE = { host: 'h1', slot: 1, range: '10.240.1.0/24', gateway: '10.240.1.1', underlay: '10.0.0.11' };
const PROGRAMMED = { host: 'h1', vni: 4096, peers: ['10.0.0.12'], local: '10.0.0.11', mtu: 1450 };
const EVIL = '4096 type vxlan id 1; reboot; #';

function read(key: string, value: unknown, stack?: string) {
  return () =>
    parseKv([{ key, value: typeof value === 'string' ? value : JSON.stringify(value), modifyIndex: 7 }], { stack });
}

test('valid values are read as before', (t) => {
  const kv = parseKv(
    [
      [`${NET}/allocation`, ALLOC],
      [`${NET}/lease/h1`, LEASE],
      [`${NET}/slot/1`, 'h1'],
      [`${NET}/programmed/h1`, PROGRAMMED],
      ['stack/overlay/vni/4096', 's/k'],
      ['stack/overlay/subnet/10.240.0.0_18', 's/k'],
      ['stack/overlay/subnet-generation', '3'],
      ['stack/overlay/config', { subnet: '10.200.0.0/16', networkPrefix: 20, mtu: 1400, dns: '10.0.0.2' }],
    ].map(([key, v], i) => ({
      key: key as string,
      value: typeof v === 'string' ? v : JSON.stringify(v),
      modifyIndex: i + 1,
    })),
  );
  t.deepEqual(kv.networks.get('s/k')!.allocation, ALLOC);
  t.is(kv.networks.get('s/k')!.leases.h1.underlay, '10.0.0.11');
  t.deepEqual(kv.networks.get('s/k')!.programmed.h1.peers, ['10.0.0.12']);
  t.is(kv.vnis.get(4096)!.owner, 's/k');
  t.is(kv.subnets.get('10.240.0.0/18')!.owner, 's/k');
  t.is(kv.subnetClaims, 3);
  t.is(kv.pool.subnet, '10.200.0.0/16');
  t.is(kv.pool.mtu, 1400);
});

test('a poisoned field of an allocation, lease or programmed record is an error naming the key and the field', (t) => {
  const cases: [string, unknown, string][] = [
    [`${NET}/allocation`, { ...ALLOC, vni: EVIL }, 'vni must be an integer 1..16777215'],
    [`${NET}/allocation`, { ...ALLOC, vni: 16_777_216 }, 'vni must be an integer 1..16777215'],
    [`${NET}/allocation`, { ...ALLOC, mtu: '1450; reboot' }, 'mtu must be an integer 576..9000'],
    [`${NET}/allocation`, { ...ALLOC, mtu: 65000 }, 'mtu must be an integer 576..9000'],
    [
      `${NET}/allocation`,
      { ...ALLOC, subnet: '10.240.0.0/18 $(reboot)' },
      'subnet must be an IPv4 CIDR block (a.b.c.d/p)',
    ],
    [`${NET}/allocation`, { ...ALLOC, name: 's_k;reboot' }, 'name must match'],
    [`${NET}/allocation`, { ...ALLOC, helper: 'x' }, 'unknown field "helper"'],
    [`${NET}/allocation`, { ...ALLOC, stack: 'other' }, 'stack/key does not match the key'],
    [`${NET}/allocation`, (({ vni: _v, ...rest }) => rest)(ALLOC), 'vni is missing'],
    [`${NET}/lease/h1`, { ...LEASE, underlay: '10.0.0.11; touch /x' }, 'underlay must be an IPv4 address (a.b.c.d)'],
    [`${NET}/lease/h1`, { ...LEASE, range: '`reboot`' }, 'range must be an IPv4 CIDR block (a.b.c.d/p)'],
    [`${NET}/lease/h1`, { ...LEASE, gateway: '10.240.1.1 && reboot' }, 'gateway must be an IPv4 address (a.b.c.d)'],
    [`${NET}/lease/h1`, { ...LEASE, host: 'h2' }, 'host does not match the key'],
    [
      `${NET}/programmed/h1`,
      { ...PROGRAMMED, peers: ['10.0.0.12', '10.0.0.13; reboot'] },
      'peers[1] must be an IPv4 address (a.b.c.d)',
    ],
    [`${NET}/programmed/h1`, { ...PROGRAMMED, peers: '10.0.0.12' }, 'peers must be a list of IPv4 addresses'],
    [`${NET}/programmed/h1`, { ...PROGRAMMED, local: '$(reboot)' }, 'local must be an IPv4 address (a.b.c.d)'],
    [`${NET}/slot/1`, 'h1; reboot', 'the value must be a host name'],
    [`${NET}/slot/x`, 'h1', 'the slot in the key must be a positive integer'],
    [`${NET}/allocation`, '{not json', 'is not JSON'],
    ['stack/overlay/vni/4096', 's/k; reboot', 'the value must be <stack>/<network key>'],
    [`stack/overlay/vni/${EVIL}`, 's/k', 'vni must be an integer 1..16777215'],
    ['stack/overlay/subnet/10.240.0.0_99', 's/k', 'the subnet in the key must be an IPv4 CIDR block (a.b.c.d/p)'],
    ['stack/overlay/subnet-generation', '3; reboot', 'the value must be a count (digits)'],
    ['stack/overlay/config', { mtu: EVIL }, 'mtu must be an integer 576..9000'],
    ['stack/overlay/config', { dns: '10.0.0.2; reboot' }, 'dns must be an IPv4 address (a.b.c.d)'],
    ['stack/overlay/config', { subnet: '0/0' }, 'subnet must be an IPv4 CIDR block (a.b.c.d/p)'],
    ['stack/overlay/config', { vniFirst: -1 }, 'vniFirst must be an integer 1..16777215'],
    ['stack/overlay/config', { networkPrefix: 31 }, 'networkPrefix must be an integer 1..30'],
    ['stack/overlay/config', { image: 'evil' }, 'unknown field "image"'],
    ['stack/overlay/config', '[]', 'the value must be object'],
  ];
  for (const [key, value, problem] of cases) {
    const err = t.throws(read(key, value), { instanceOf: OverlayValueError }, `${key} ${JSON.stringify(value)}`);
    t.true(err.message.startsWith(`Consul key ${key}: ${problem}`), `${err.message} / ${problem}`);
    t.false(/touch|reboot/.test(err.message.slice(`Consul key ${key}`.length)), 'the value is not echoed');
  }
});

test("with a stack, only that stack's networks are read: another stack's bad entry neither stops nor steers it", (t) => {
  t.notThrows(read('stack/overlay/networks/other/k/allocation', { ...ALLOC, stack: 'other', vni: EVIL }, 's'));
  t.throws(read(`${NET}/allocation`, { ...ALLOC, vni: EVIL }, 's'), {
    message: /^Consul key stack\/overlay\/networks\/s\/k\/allocation: vni must be/,
  });
  t.throws(
    read('stack/overlay/vni/4096', 'x; y', 's'),
    { instanceOf: OverlayValueError },
    'claims are everyone’s: always read',
  );
});

function stack(): DesiredState {
  const hosts = ['h1', 'h2'].map((name, i) => ({
    name,
    endpoint: endpointOf(`tcp://10.0.0.${11 + i}:2376`),
    labels: {},
  }));
  return buildDesired([service('api', {})], {
    hosts,
    settings: {
      hostConcurrency: 4,
      globalConcurrency: 16,
      overlay: 'consul',
      consul: 'http://10.0.0.2:8500',
      overlayHelperImage: `r/busybox@sha256:${'b'.repeat(64)}`,
    },
    networks: { default: network('default', 'app', { driver: 'overlay' }) },
  } as never);
}

test('the plan refuses a Consul value that failed validation: one error naming the key, not one operation', (t) => {
  const d = stack();
  const o = observedEmpty(d);
  o.overlay = {
    consul: 'http://10.0.0.2:8500',
    invalid:
      'Consul key stack/overlay/networks/app/default/allocation: vni must be an integer 1..16777215, not a string of 33 characters',
    registered: {},
  };
  const plan = reconcile(d, o);
  t.deepEqual(
    plan.diagnostics.map((x) => [x.severity, x.summary]),
    [
      [
        'error',
        'Consul key stack/overlay/networks/app/default/allocation: vni must be an integer 1..16777215, not a string of 33 characters',
      ],
    ],
  );
  t.regex(plan.diagnostics[0].hint!, /never runs it; fix or remove that key/);
  t.deepEqual(
    plan.operations.filter((x) => x.kind.startsWith('overlay.')),
    [],
  );
});

test("without a helper image, stack's own overlay is a plan error saying how to set one (no Docker Hub default)", (t) => {
  const d = stack();
  delete d.settings.overlayHelperImage;
  const o = observedEmpty(d);
  o.overlay = { consul: 'http://10.0.0.2:8500', kv: parseKv([]), registered: {} };
  const plan = reconcile(d, o);
  const e = plan.diagnostics.find((x) => x.severity === 'error')!;
  t.is(
    e.summary,
    "stack's own overlay needs a helper image (it runs the hosts' own ip and bridge through chroot), and none is configured",
  );
  t.regex(
    e.hint!,
    /overlay: \{ helper_image: REGISTRY\/busybox@sha256:DIGEST \} in the inventory, or pass --overlay-helper-image/,
  );
  t.false(plan.operations.some((x) => x.kind.startsWith('overlay.')));
});

test('a stack.underlay label that is no IPv4 address (an x-stack or DOCKER_HOST path past validate) is refused again where it is used', (t) => {
  const d = stack();
  d.hosts[0].labels['stack.underlay'] = '10.0.0.1; touch /x';
  const o = observedEmpty(d);
  o.overlay = { consul: 'http://10.0.0.2:8500', kv: parseKv([]), registered: {} };
  const plan = reconcile(d, o);
  t.deepEqual(
    plan.diagnostics.filter((x) => x.severity === 'error').map((x) => [x.summary, x.where?.host]),
    [
      [
        'host h1: label stack.underlay: the underlay address must be an IPv4 address (a.b.c.d), not a string of 18 characters',
        'h1',
      ],
    ],
  );
});

test('a host network whose VNI label is no VNI is reported and its device left alone (no helper gets it)', (t) => {
  const d = stack();
  const o = observedEmpty(d);
  o.overlay = { consul: 'http://10.0.0.2:8500', kv: parseKv([]), registered: {} };
  o.hosts.h1.networks.push({
    id: 'n1',
    name: 'app_old',
    driver: 'bridge',
    scope: 'local',
    key: 'old',
    labels: { 'io.github.stack-deploy.overlay-vni': '4096; touch /x' },
  });
  const plan = reconcile(d, o, { destroy: true });
  t.true(
    plan.diagnostics.some(
      (x) =>
        x.severity === 'error' &&
        x.summary ===
          "host h1: network app_old's label io.github.stack-deploy.overlay-vni: vni must be an integer 1..16777215, not a string of 14 characters",
    ),
  );
  t.false(plan.operations.some((x) => x.kind === 'overlay.unprogram'));
});
