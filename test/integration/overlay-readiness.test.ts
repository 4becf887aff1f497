/**
 * Overlay readiness on real daemons: a stack with an engine overlay network (x-stack.overlay: engine; with auto,
 * hosts without a cluster store get stack's own overlay, src/overlay/), planned for hosts where some daemons have
 * no cluster store (a second sandbox instance `ovl`, started with --no-cluster-store), is refused before any
 * write with one error naming each such host; Engine info is gathered once per host, and only for stacks with
 * overlay networks. Creates no overlay network; named *overlay* to run with the overlay tests.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { clientsFor, dockerOptions } from '../../src/docker/client.js';
import { formatEndpoint } from '../../src/stack/endpoint.js';
import type { HostSpec } from '../../src/stack/types.js';
import { repoRoot, sandboxInstanceUp } from '../helpers/sandbox.js';
import {
  desiredFor,
  hostSpecs,
  network,
  service,
  uniqueStack,
  IMAGE,
  eventWindowStart,
  planStack,
} from './reconcile-helpers.js';
import { endpointOf } from '../helpers/endpoint.js';

/** Hosts without a cluster store: the separate `ovl` instance (brought up here when it is not). */
function bareHosts(): HostSpec[] {
  const ovl = sandboxInstanceUp('ovl', ['--hosts', '2', '--no-cluster-store']);
  return ovl.hosts.map((h) => ({ name: `ovl-${h.name}`, endpoint: endpointOf(h.socket), labels: {} }));
}

async function events(spec: HostSpec, since: number, stack: string): Promise<string[]> {
  const d = new Docker(dockerOptions(spec.endpoint));
  const stream = await d.getEvents({ since: Math.floor(since / 1000) - 1, until: Math.floor(Date.now() / 1000) + 1 });
  const text = await new Promise<string>((resolve, reject) => {
    let s = '';
    stream.on('data', (b: Buffer) => (s += b.toString()));
    stream.on('end', () => resolve(s));
    stream.on('error', reject);
  });
  return text
    .split('\n')
    .filter((l) => l.includes(stack))
    .map((l) => `${spec.name}: ${l}`);
}

test('a stack with an overlay network on a mixed set of hosts is refused before any write, naming each host not ready', async (t) => {
  const name = uniqueStack('ovready');
  const hosts = [hostSpecs('socket').find((h) => h.name === 'h1')!, ...bareHosts()];
  const dir = mkdtempSync(join(tmpdir(), 'stack-ovready-'));
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    `hosts:\n${hosts.map((h) => `  ${h.name}: { endpoint: "${formatEndpoint(h.endpoint)}" }\n`).join('')}`,
  );
  writeFileSync(
    join(dir, 'compose.yaml'),
    `name: ${name}\nx-stack:\n  overlay: engine\nservices:\n  web:\n    image: ${IMAGE()}\n    command: [sleep, "3600"]\n    networks: [back]\n    deploy: { mode: global }\nnetworks:\n  back: { driver: overlay }\n`,
  );
  const since = await eventWindowStart();
  const run = (cmd: string) =>
    spawnSync(
      process.execPath,
      [join(repoRoot, 'bin', 'stack.js'), cmd, '-i', inventory, '-f', join(dir, 'compose.yaml'), '--yes'],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
  const r = run('apply');
  t.is(r.status, 1, r.stdout + r.stderr);
  const lack = 'daemon.json lacks "cluster-store" and "cluster-advertise"';
  t.true(
    r.stderr.includes(
      `overlay network back needs the daemons' cluster store on every host; not ready: ovl-h1 (${lack}), ovl-h2 (${lack})`,
    ),
    r.stderr,
  );
  t.regex(r.stderr, /deploy\/engine\/daemon\.json/);
  t.false(/\bh1 \(/.test(r.stderr.replace(/ovl-h\d/g, '')), 'h1 has a cluster store and is not named');
  t.deepEqual((await Promise.all(hosts.map((h) => events(h, since, name)))).flat(), [], 'no write on any host');
});

test('Engine info is asked once per host, and only when the stack has overlay networks', async (t) => {
  const name = uniqueStack('ovinfo');
  const withOverlay = desiredFor(
    name,
    [service('web', { image: IMAGE(), networks: { back: { aliases: [] } } })],
    'socket',
    { networks: { back: network('back', name, { driver: 'overlay' }) } },
  );
  const withoutOverlay = desiredFor(name, [service('web', { image: IMAGE() })], 'socket');
  for (const [d, reads] of [
    [withOverlay, 6],
    [withoutOverlay, 5],
  ] as const) {
    const clients = clientsFor(d.hosts);
    const { observed } = await planStack(d, { clients });
    // ping, containers, networks, volumes, images (+ info: the network is on no host yet); the digest is resolved
    // once, through the first host whose ping answered
    t.deepEqual(
      [...clients.values()].map((c) => c.counts.reads).sort((a, b) => a - b),
      [...d.hosts.slice(1).map(() => reads), reads + 1],
    );
    t.is(
      Object.values(observed.hosts).every((h) => !!h.engine?.clusterStore),
      reads === 6,
    );
  }
});

test('a stack without overlay networks plans on hosts without a cluster store', async (t) => {
  const hosts = bareHosts();
  const d = desiredFor(uniqueStack('ovnone'), [service('web', { image: IMAGE() })], 'socket', { hosts });
  const { plan } = await planStack(d);
  t.deepEqual(
    plan.diagnostics.filter((x) => x.severity === 'error'),
    [],
  );
});
