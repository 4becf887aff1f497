/**
 * A poisoned Consul state never reaches a host: for each field of a network's state that ends up in the
 * helper's argv or the Engine's body (VNI, MTU, subnet; a lease's underlay, range and gateway; the programmed
 * peers), a value with shell metacharacters makes `stack apply` exit 1 naming the Consul key and field, with no
 * helper container created and no write on any host (read from the vx daemons' event streams). The same state
 * unpoisoned plans the helper runs, so the refusal is what kept them away. A stack.underlay label with a `;`
 * fails `stack validate` with where.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ensureBuilt, inventoryYaml, runStack, writeDir } from './cli-helpers.js';
import { HostEventRecorder } from './event-recorder.js';
import { docker, ipOf, store, uniqueStack, vx } from './vxlan-helpers.js';
import { repoRoot } from '../helpers/sandbox.js';
import { KV_ROOT } from '../../src/overlay/state.js';

const recorder = new HostEventRecorder(vx.hosts.map((h) => ({ name: h.name, docker: docker(h.name) })));
/** h1 and h2 of the vx sandbox over tcp+TLS, its Consul, and the helper image by digest (as the sandbox's own inventory). */
const INVENTORY = `${inventoryYaml(vx.hosts.filter((h) => ['h1', 'h2'].includes(h.name)).map((h) => ({ name: h.name, endpoint: h.tcp, tls: h.tls, labels: h.labels })))}consul: ${vx.consul.http}\noverlay: { helper_image: "${vx.images.helper}" }\n`;
const EVIL = '1; touch /tmp/stack-poisoned; #';
const WRITE =
  /^(create|start|stop|kill|die|destroy|rename|update|connect|disconnect|pull|tag|mount|unmount|remove|restart|pause|unpause|delete)$/;

function composeFile(): string {
  return [
    'x-stack:',
    '  overlay: consul',
    'services:',
    '  one:',
    `    image: ${vx.images.busybox}`,
    '    command: ["sleep", "3600"]',
    '    networks: [app]',
    '    deploy: { placement: { constraints: ["node.hostname == h1"] } }',
    'networks:',
    '  app: { driver: overlay }',
    '',
  ].join('\n');
}

/** A network state as an apply would have left it before programming h1 and h2 (VNI far above the pool's). */
function state(name: string) {
  const lease = (h: string, slot: number) => ({
    host: h,
    slot,
    range: `10.250.${slot}.0/24`,
    gateway: `10.250.${slot}.1`,
    underlay: ipOf(h),
  });
  return {
    allocation: {
      stack: name,
      key: 'app',
      name: `${name}_app`,
      vni: 16_000_000 + Math.floor(Math.random() * 700_000),
      subnet: '10.250.0.0/18',
      mtu: 1450,
    } as Record<string, unknown>,
    leases: { h1: lease('h1', 1), h2: lease('h2', 2) } as Record<string, Record<string, unknown>>,
    programmed: undefined as Record<string, unknown> | undefined,
  };
}

async function write(name: string, s: ReturnType<typeof state>): Promise<void> {
  const prefix = `${KV_ROOT}networks/${name}/app/`;
  const set = (key: string, value: unknown) => ({
    verb: 'set' as const,
    key: `${prefix}${key}`,
    value: JSON.stringify(value),
  });
  await store().txn([
    { verb: 'delete-tree', key: prefix },
    set('allocation', s.allocation),
    ...Object.entries(s.leases).flatMap(([h, l]) => [
      set(`lease/${h}`, l),
      { verb: 'set' as const, key: `${prefix}slot/${String(l.slot)}`, value: h },
    ]),
    ...(s.programmed ? [set('programmed/h1', s.programmed)] : []),
  ]);
}

test('a poisoned value in each field of the Consul state: apply exits 1 naming the key, no helper, no write on any host', async (t) => {
  ensureBuilt();
  const name = uniqueStack('p');
  const dir = writeDir({ 'compose.yaml': composeFile(), 'inventory.yaml': INVENTORY });
  t.teardown(() => store().txn([{ verb: 'delete-tree', key: `${KV_ROOT}networks/${name}/` }]));
  const args = ['-i', 'inventory.yaml', '-f', 'compose.yaml', '-p', name];

  // Control: the same state, unpoisoned, would run the helper on h1 and h2 (plan writes nothing).
  await write(name, state(name));
  const plan = await runStack(['plan', '--json', ...args], dir);
  t.is(plan.code, 0, plan.stderr);
  const planned = JSON.parse(plan.stdout) as { operations: { kind: string; host: string }[] };
  t.deepEqual(
    planned.operations
      .filter((o) => o.kind === 'overlay.program')
      .map((o) => o.host)
      .sort(),
    ['h1', 'h2'],
  );

  await recorder.covers(Infinity);
  const since = Date.now();
  t.true(await recorder.covers(since), 'the event streams of every vx host are connected');
  const poisons: [string, (s: ReturnType<typeof state>) => void, string][] = [
    ['allocation', (s) => (s.allocation.vni = EVIL), 'vni must be an integer 1..16777215'],
    ['allocation', (s) => (s.allocation.mtu = `1450 ${EVIL}`), 'mtu must be an integer 576..9000'],
    [
      'allocation',
      (s) => (s.allocation.subnet = `10.250.0.0/18 $(touch /tmp/stack-poisoned)`),
      'subnet must be an IPv4 CIDR block',
    ],
    [
      'lease/h2',
      (s) => (s.leases.h2.underlay = `${ipOf('h2')}; touch /tmp/stack-poisoned`),
      'underlay must be an IPv4 address',
    ],
    ['lease/h1', (s) => (s.leases.h1.range = '`touch /tmp/stack-poisoned`'), 'range must be an IPv4 CIDR block'],
    [
      'lease/h1',
      (s) => (s.leases.h1.gateway = '10.250.1.1 && touch /tmp/stack-poisoned'),
      'gateway must be an IPv4 address',
    ],
    [
      'programmed/h1',
      (s) => (s.programmed = { host: 'h1', vni: s.allocation.vni, peers: [`${ipOf('h2')}|touch /tmp/stack-poisoned`] }),
      'peers[0] must be an IPv4 address',
    ],
  ];
  for (const [key, poison, problem] of poisons) {
    const s = state(name);
    poison(s);
    await write(name, s);
    const r = await runStack(['apply', '--yes', ...args], dir);
    t.is(r.code, 1, `${key}: ${r.stderr}`);
    t.true(r.stderr.includes(`Consul key ${KV_ROOT}networks/${name}/app/${key}: ${problem}`), `${key}: ${r.stderr}`);
    t.false(r.stderr.includes('touch'), 'the poisoned value is not echoed');
    t.false(/Traceback| {4}at /.test(r.stderr), 'no stack trace');
  }
  const events = await recorder.events(since);
  const mine = events.filter(({ event }) => Object.values(event.Actor?.Attributes ?? {}).some((v) => v.includes(name)));
  t.deepEqual(
    mine
      .filter(({ event }) => WRITE.test(event.Action))
      .map(({ host, event }) => `${host} ${event.Type} ${event.Action}`),
    [],
    'no write for the stack on any host',
  );
  t.deepEqual(
    events.filter(
      ({ event }) =>
        event.Type === 'container' && event.Actor?.Attributes?.['io.github.stack-deploy.overlay-helper'] === name,
    ),
    [],
    'no helper container',
  );
  for (const h of vx.hosts)
    t.false(
      (await docker(h.name).listNetworks()).some((n) => n.Name === `${name}_app`),
      `no network on ${h.name}`,
    );
  t.false(existsSync('/tmp/stack-poisoned'), 'nothing ran');
});

test('a stack.underlay label with a `;` fails validate with where, and a helper image by tag is refused', async (t) => {
  ensureBuilt();
  const h = vx.hosts[0];
  const dir = writeDir({
    'compose.yaml': composeFile(),
    'inventory.yaml': `hosts:\n  h1:\n    endpoint: ${h.socket}\n    labels: { stack.underlay: "10.0.0.1; touch /tmp/stack-poisoned" }\n`,
  });
  const r = await runStack(['validate', '-i', 'inventory.yaml', '-f', 'compose.yaml', '-p', 'tvxlabel'], dir);
  t.is(r.code, 1);
  t.regex(r.stderr, /inventory\.yaml:4:31 hosts\.h1\.labels\["stack\.underlay"\]: must be the host's IPv4 address/);
  t.false(r.stderr.includes('touch'));
  const tag = await runStack(
    [
      'plan',
      '-i',
      path.join(repoRoot, '.sandbox-vx', 'inventory.yaml'),
      '-f',
      'compose.yaml',
      '-p',
      'tvxlabel',
      '--overlay-helper-image',
      'busybox:1.36',
    ],
    dir,
  );
  t.is(tag.code, 1);
  t.regex(tag.stderr, /--overlay-helper-image: the overlay helper image must be pinned by digest/);
  t.false(existsSync('/tmp/stack-poisoned'));
});
