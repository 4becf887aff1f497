/**
 * The staging bootstrap (deploy/staging/) end to end on the `vx` instance's h1–h3 (Engine 28, no cluster store; the
 * vx tests that stop a daemon use h4): the Consul image built from the cached binary and pushed to the instance's
 * registry; `bootstrap.sh check` (stack hosts check); the Consul server stack with local state — three servers that
 * elect a leader, asked through each one's HTTP API; the app stack with that Consul as its state store — its revision
 * in that Consul's KV, its containers running, its published port answering; a pull request's environment (-p pr-N,
 * no published port) up and then gone with its volumes; `down` leaves no container, volume or network. Also the
 * scripts' refusals of bad operator input, before anything is contacted.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { Labels } from '../../src/labels.js';
import { engine, repoRoot, sandboxInstanceUp, VX_UP_ARGS, type SandboxHost } from '../helpers/sandbox.js';
import { bin, ensureBuilt, inventoryYaml, startCommand, type CliResult } from './cli-helpers.js';
import { eventually } from './reconcile-helpers.js';

const box = sandboxInstanceUp('vx', VX_UP_ARGS);
const HOSTS = box.hosts.filter((h) => ['h1', 'h2', 'h3'].includes(h.name));
const DIR = path.join(repoRoot, 'deploy', 'staging');
const work = mkdtempSync(path.join(os.tmpdir(), 'stack-staging-'));
const stateDir = path.join(work, 'state');
const inventory = path.join(work, 'inventory.yaml');
const PR = 'pr-41';
const STACKS = ['staging-consul', 'staging-app', PR];
let consulImage = '';
let cleaned = false;

type Run = CliResult;

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return startCommand(cmd, args, { env: { STACK_STATE_DIR: stateDir, ...env } }).done;
}

/** bootstrap.sh with every value from flags, as an operator runs it. */
function bootstrap(...args: string[]): Promise<Run> {
  return run('bash', [
    path.join(DIR, 'bootstrap.sh'),
    '-i',
    inventory,
    '--stack',
    bin,
    '--servers',
    HOSTS.map((h) => h.ip).join(','),
    '--network',
    `${box.gateway.replace(/\.\d+$/, '.0')}/24`,
    '--consul-image',
    consulImage,
    '--app-image',
    box.images.busybox,
    '--app-port',
    '18080',
    '--state-dir',
    stateDir,
    ...args,
  ]);
}

const consulAt = (h: SandboxHost, p: string): Promise<unknown> =>
  fetch(`http://${h.ip}:8500${p}`, { signal: AbortSignal.timeout(3000) }).then((r) => (r.ok ? r.json() : undefined));

/** Every container, volume and network of these stacks on h1–h3. */
async function leftovers(stacks: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const h of HOSTS) {
    const docker = engine(h);
    for (const s of stacks) {
      const f = { label: [`${Labels.stack}=${s}`] };
      const [cs, vs, ns] = await Promise.all([
        docker.listContainers({ all: true, filters: f }),
        docker.listVolumes({ filters: f }),
        docker.listNetworks({ filters: f }),
      ]);
      found.push(...cs.map((c) => `${h.name} container ${c.Names[0]}`));
      found.push(...(vs.Volumes ?? []).map((v) => `${h.name} volume ${v.Name}`));
      found.push(...ns.map((n) => `${h.name} network ${n.Name}`));
    }
  }
  return found;
}

test.before(() => {
  ensureBuilt();
  const hosts = HOSTS.map((h) => ({
    name: h.name,
    endpoint: h.tcp,
    tls: h.tls,
    labels: { 'staging.consul': 'server' },
  }));
  writeFileSync(
    inventory,
    inventoryYaml(hosts) +
      `overlay: { helper_image: "${box.images.helper}" }\n` +
      'policy:\n  mode: enforce\n  allow:\n    - { stack: staging-consul, service: consul, rules: [host-network] }\n',
  );
});

test.after.always(async () => {
  if (consulImage && !cleaned) {
    await bootstrap('pr-down', '41');
    await bootstrap('down');
  }
  // By id: the host that imported it also holds it under its tag.
  if (consulImage)
    for (const h of HOSTS) {
      const docker = engine(h);
      const id = await docker
        .getImage(consulImage)
        .inspect()
        .then((i) => i.Id)
        .catch(() => undefined);
      if (id) await docker.getImage(id).remove({ force: true });
    }
  rmSync(work, { recursive: true, force: true });
});

test.serial('the scripts refuse bad operator input by name, before any host is contacted', async (t) => {
  const b = path.join(DIR, 'bootstrap.sh');
  const withConsul = path.join(work, 'with-consul.yaml');
  writeFileSync(withConsul, `${readFileSync(inventory, 'utf8')}consul: http://${HOSTS[0].ip}:8500\n`);
  const cases: [string[], RegExp][] = [
    [['check'], /-i INVENTORY is required/],
    [['-i', path.join(work, 'missing.yaml'), 'check'], /inventory .*missing\.yaml is not a file/],
    [['-i', inventory, '--stack', bin, 'launch'], /unknown command 'launch'/],
    [['-i', inventory, '--stack', bin, '--servers', '10.0.0.1,10.0.0.2', 'consul'], /exactly three addresses/],
    [['-i', inventory, '--stack', bin, '--servers', '10.0.0.1,10.0.0.2,x;y', 'consul'], /'x;y' is not an IPv4/],
    [
      ['-i', inventory, '--stack', bin, '--servers', '10.0.0.1,10.0.0.2,10.0.0.3', 'consul'],
      /--network CIDR is required/,
    ],
    [['-i', inventory, '--stack', bin, '--app-image', 'x', 'pr-up', 'abc'], /pr-up needs the pull request's number/],
    [['-i', withConsul, '--stack', bin, '--servers', '10.0.0.1,10.0.0.2,10.0.0.3', 'consul'], /names a consul:/],
    [['-i', inventory, '--stack', bin, 'pr-down', '7'], /--app-image is required/],
    [['-i', inventory, '--stack', path.join(work, 'no-stack'), 'check'], /the stack command .* is not found/],
  ];
  for (const [args, message] of cases) {
    const r = await run('bash', [b, ...args]);
    t.is(r.code, 1, args.join(' '));
    t.regex(r.stderr, message, args.join(' '));
  }
  const image = path.join(DIR, 'build-consul-image.sh');
  const noRegistry = await run('bash', [image]);
  t.is(noRegistry.code, 1);
  t.regex(noRegistry.stderr, /--registry HOST:PORT is required/);
  const badRegistry = await run('bash', [image, '--registry', 'a b/c']);
  t.is(badRegistry.code, 1);
  t.regex(badRegistry.stderr, /--registry 'a b\/c' is not HOST\[:PORT\]/);
  t.deepEqual(await leftovers(STACKS), []);
});

test.serial(
  'the Consul image is built from the cached binary and pushed to the registry, pinned by digest',
  async (t) => {
    const r = await run('bash', [
      path.join(DIR, 'build-consul-image.sh'),
      '--registry',
      box.registry,
      '--docker-host',
      HOSTS[0].socket,
    ]);
    t.is(r.code, 0, r.stderr);
    consulImage = r.stdout.trim();
    t.regex(
      consulImage,
      new RegExp(`^${box.registry.replace(/\./g, '\\.')}/stack-staging/consul@sha256:[0-9a-f]{64}$`),
    );
  },
);

test.serial('check: stack hosts check passes on the three hosts', async (t) => {
  const r = await bootstrap('check');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /ok: 3 host\(s\) checked/);
});

test.serial('consul: three servers, one per host, elect a leader; data in named volumes; state local', async (t) => {
  const r = await bootstrap('consul');
  t.is(r.code, 0, r.stdout + r.stderr);
  const addrs = HOSTS.map((h) => `${h.ip}:8300`).sort();
  for (const h of HOSTS) {
    const leader = await eventually(
      async () => ((await consulAt(h, '/v1/status/leader').catch(() => '')) as string) || false,
      30_000,
      `a leader seen by ${h.name}`,
    );
    t.true(addrs.includes(leader), `${h.name} sees leader ${leader}`);
    t.deepEqual(((await consulAt(h, '/v1/status/peers')) as string[]).sort(), addrs, h.name);
    const c = await engine(h).getContainer(`staging-consul-consul-${h.name}`).inspect();
    t.true(c.State.Running);
    t.is(c.HostConfig.NetworkMode, 'host');
    t.true(
      c.Mounts.some((m) => m.Type === 'volume' && m.Name === 'staging-consul_data' && m.Destination === '/consul/data'),
    );
  }
  const raft = (await consulAt(HOSTS[2], '/v1/operator/raft/configuration')) as {
    Servers: { Address: string; Voter: boolean; Leader: boolean }[];
  };
  t.is(raft.Servers.length, 3);
  t.true(raft.Servers.every((s) => s.Voter));
  t.is(raft.Servers.filter((s) => s.Leader).length, 1);
  t.true(existsSync(path.join(stateDir, 'staging-consul')), 'the Consul stack keeps its state locally');
});

test.serial(
  'app: applied with that Consul as state; revision in its KV, containers run, the port answers',
  async (t) => {
    const r = await bootstrap('app');
    t.is(r.code, 0, r.stdout + r.stderr);
    // Read back from another server than the one stack wrote to: the revision is in the replicated KV.
    const keys = (await consulAt(HOSTS[2], '/v1/kv/stack/staging-app/revisions/?keys')) as string[];
    t.true(keys.includes('stack/staging-app/revisions/0000000001/manifest'), keys.join(' '));
    t.false(readdirSync(stateDir).includes('staging-app'), 'no local state for the app stack');
    for (const h of HOSTS) {
      const c = await engine(h).getContainer(`staging-app-web-${h.name}`).inspect();
      t.true(c.State.Running, h.name);
      const body = await eventually(
        () =>
          fetch(`http://${h.ip}:18080/`, { signal: AbortSignal.timeout(3000) })
            .then((res) => res.text())
            .catch(() => ''),
        20_000,
        `the web page on ${h.name}`,
      );
      t.is(body.trim(), c.Config.Hostname, h.name);
    }
  },
);

test.serial('up again: the check passes and nothing is written on any host', async (t) => {
  const ids = async () =>
    Promise.all(
      HOSTS.flatMap((h) =>
        [`staging-consul-consul-${h.name}`, `staging-app-web-${h.name}`].map((c) =>
          engine(h)
            .getContainer(c)
            .inspect()
            .then((i) => `${c} ${i.Id} ${i.State.StartedAt}`),
        ),
      ),
    );
  const before = await ids();
  const r = await bootstrap('up');
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /ok: 3 host\(s\) checked/);
  t.notRegex(r.stdout + r.stderr, /^✓ /m, 'no operation ran');
  t.deepEqual(await ids(), before, 'the same containers, never restarted');
});

test.serial(
  'a Consul server removed and made again by consul keeps its node id (its volume) and the data',
  async (t) => {
    const h = HOSTS[2];
    const nodeId = async (at: SandboxHost) =>
      ((await consulAt(at, '/v1/agent/self')) as { Config: { NodeID: string } }).Config.NodeID;
    const before = await nodeId(h);
    await engine(h).getContainer(`staging-consul-consul-${h.name}`).remove({ force: true });
    const r = await bootstrap('consul');
    t.is(r.code, 0, r.stdout + r.stderr);
    t.regex(r.stdout + r.stderr, new RegExp(`create staging-consul-consul-${h.name}`));
    const addrs = HOSTS.map((x) => `${x.ip}:8300`).sort();
    await eventually(
      async () => {
        const peers = (await consulAt(h, '/v1/status/peers').catch(() => undefined)) as string[] | undefined;
        const leader = (await consulAt(h, '/v1/status/leader').catch(() => '')) as string;
        return peers !== undefined && peers.sort().join() === addrs.join() && leader !== '';
      },
      60_000,
      `${h.name} back among three voters with a leader`,
    );
    t.is(await nodeId(h), before, 'the same node id: a new container, the same named volume');
    const keys = (await consulAt(h, '/v1/kv/stack/staging-app/revisions/?keys')) as string[];
    t.true(keys.includes('stack/staging-app/revisions/0000000001/manifest'));
  },
);

test.serial(
  'pr-up / pr-down: a pull request environment without published ports, then nothing of it left',
  async (t) => {
    const up = await bootstrap('pr-up', '41');
    t.is(up.code, 0, up.stdout + up.stderr);
    for (const h of HOSTS) {
      const c = await engine(h).getContainer(`${PR}-web-${h.name}`).inspect();
      t.true(c.State.Running, h.name);
      t.deepEqual(c.HostConfig.PortBindings ?? {}, {}, `${h.name}: nothing published`);
    }
    const keys = (await consulAt(HOSTS[1], `/v1/kv/stack/${PR}/revisions/?keys`)) as string[];
    t.true(keys.includes(`stack/${PR}/revisions/0000000001/manifest`));
    t.true((await leftovers([PR])).some((o) => o.endsWith(`volume ${PR}_content`)));

    const down = await bootstrap('pr-down', '41');
    t.is(down.code, 0, down.stdout + down.stderr);
    t.deepEqual(await leftovers([PR]), [], 'no container, volume or network of the PR environment');
    const after = (await consulAt(HOSTS[0], `/v1/kv/stack/${PR}/revisions/?keys`)) as string[];
    t.true(after.includes(`stack/${PR}/revisions/0000000002/manifest`), 'its destroy is a revision in Consul');
    t.true((await engine(HOSTS[0]).getContainer('staging-app-web-h1').inspect()).State.Running, 'staging still runs');
  },
);

test.serial('down: the app and the Consul stacks removed, volumes included', async (t) => {
  const r = await bootstrap('down');
  t.is(r.code, 0, r.stdout + r.stderr);
  t.deepEqual(await leftovers(STACKS), []);
  cleaned = true;
});
