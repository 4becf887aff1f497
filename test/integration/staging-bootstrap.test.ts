/**
 * The staging bootstrap (deploy/staging/) end to end on the `vx` instance's h1–h3 (Engine 28, no cluster store; the
 * vx tests that stop a daemon use h4): the Consul image built from the cached binary and pushed to the instance's
 * registry; `bootstrap.sh check` (stack hosts check); the Consul server stack with local state — three servers that
 * elect a leader, asked through each one's HTTP API; the registry stack (Debian's docker-registry, imaged like Consul)
 * on h1 with its storage in a named volume, serving HTTPS with a certificate of a CA the test makes (trusted by the
 * daemons through /etc/docker/certs.d/ADDRESS/, as an operator configures hosts), the app's image pushed into it; the
 * app stack with that Consul as its state store, pulling from that registry — its revision in that Consul's KV, its
 * containers running, its published port answering; a pull request's environment (-p pr-N, no published port) up
 * and then gone with its volumes, by bootstrap.sh and by pr-environment.sh reading GitHub events as the workflow
 * does; `down` leaves no container, volume or network. Also the scripts' refusals of bad operator input, before
 * anything is contacted.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import https from 'node:https';
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
const CI_PR = 'pr-42';
const STACKS = ['staging-consul', 'staging-registry', 'staging-app', PR, CI_PR];
/** The staging registry: on h1 (labelled staging.registry), HTTPS on this port of h1's address. */
const REGISTRY = `${HOSTS[0].ip}:15000`;
const CERTS_D = path.join('/etc/docker/certs.d', REGISTRY);
const tls = {
  ca: path.join(work, 'ca.crt'),
  cert: path.join(work, 'registry.crt'),
  key: path.join(work, 'registry.key'),
};
let consulImage = '';
let registryImage = '';
let appImage = '';
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
    '--registry',
    REGISTRY,
    '--registry-cert',
    tls.cert,
    '--registry-key',
    tls.key,
    ...(registryImage ? ['--registry-image', registryImage] : []),
    '--docker-host',
    HOSTS[0].socket,
    '--app-image',
    appImage || box.images.busybox,
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

/** A CA and the registry's certificate for its IP address; the CA trusted by every daemon for that address. */
function makeCertificates(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const csr = path.join(work, 'registry.csr');
  const ext = path.join(work, 'registry.ext');
  ssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    path.join(work, 'ca.key'),
    '-out',
    tls.ca,
    '-days',
    '2',
    '-subj',
    '/CN=staging-test-ca',
  );
  ssl('req', ...ec, '-keyout', tls.key, '-out', csr, '-subj', `/CN=${HOSTS[0].ip}`);
  writeFileSync(ext, `subjectAltName=IP:${HOSTS[0].ip}\n`);
  ssl(
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    tls.ca,
    '-CAkey',
    path.join(work, 'ca.key'),
    '-CAcreateserial',
    '-out',
    tls.cert,
    '-days',
    '2',
    '-extfile',
    ext,
  );
  mkdirSync(CERTS_D, { recursive: true });
  copyFileSync(tls.ca, path.join(CERTS_D, 'ca.crt'));
}

/** GET https://REGISTRY/PATH, verified against the test's CA: status and body. */
function registryGet(p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(`https://${REGISTRY}${p}`, { ca: readFileSync(tls.ca), timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
  });
}

test.before(() => {
  ensureBuilt();
  makeCertificates();
  const hosts = HOSTS.map((h, i) => ({
    name: h.name,
    endpoint: h.tcp,
    tls: h.tls,
    labels: { 'staging.consul': 'server', ...(i === 0 ? { 'staging.registry': 'true' } : {}) },
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
    await bootstrap('pr-down', '42');
    await bootstrap('down');
  }
  for (const h of HOSTS) {
    const docker = engine(h);
    // By id: the host that imported them also holds them under their tags.
    for (const image of [consulImage, registryImage].filter(Boolean)) {
      const id = await docker
        .getImage(image)
        .inspect()
        .then((i) => i.Id)
        .catch(() => undefined);
      if (id) await docker.getImage(id).remove({ force: true });
    }
    // The app's image is the sandbox's busybox: only the staging registry's names of it go.
    const staged = (await docker.listImages()).flatMap((i) => [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])]);
    for (const ref of staged.filter((r) => r.startsWith(`${REGISTRY}/`)))
      await docker
        .getImage(ref)
        .remove()
        .catch(() => undefined);
  }
  rmSync(CERTS_D, { recursive: true, force: true });
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
    [['-i', inventory, '--stack', bin, 'registry'], /--registry HOST:PORT is required/],
    [['-i', inventory, '--stack', bin, '--registry', 'h;x:5000', 'registry'], /--registry HOST:PORT is required/],
    [['-i', inventory, '--stack', bin, '--registry', '10.0.0.1:5000', 'registry'], /--registry-image is required/],
    [
      ['-i', inventory, '--stack', bin, '--registry', '10.0.0.1:5000', '--registry-image', 'r', 'registry'],
      /--registry-cert FILE is required/,
    ],
    [
      ['-i', inventory, '--stack', bin, '--registry', '10.0.0.1:5000', '--registry-image', 'r'].concat([
        '--registry-cert',
        inventory,
        'registry',
      ]),
      /--registry-key FILE is required/,
    ],
    [['-i', inventory, '--stack', bin, '--registry', '10.0.0.1:5000', 'push'], /push needs one image reference/],
    [['-i', inventory, '--stack', bin, '--registry', '10.0.0.1:5000', 'push', 'a;b'], /push needs one image reference/],
    [['-i', inventory, '--stack', bin, 'push', 'busybox'], /--registry HOST:PORT is required/],
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
  const registryScript = path.join(DIR, 'build-registry-image.sh');
  const noTarget = await run('bash', [registryScript]);
  t.is(noTarget.code, 1);
  t.regex(noTarget.stderr, /--registry HOST:PORT is required/);
  const noBinary = await run('bash', [registryScript, '--registry', box.registry, '--registry-bin', work]);
  t.is(noBinary.code, 1);
  t.regex(noBinary.stderr, /is not an executable registry binary/);
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

test.serial("the registry image is built from Debian's docker-registry and pushed, pinned by digest", async (t) => {
  const r = await run('bash', [
    path.join(DIR, 'build-registry-image.sh'),
    '--registry',
    box.registry,
    '--docker-host',
    HOSTS[0].socket,
  ]);
  t.is(r.code, 0, r.stderr);
  registryImage = r.stdout.trim();
  t.regex(
    registryImage,
    new RegExp(`^${box.registry.replace(/\./g, '\\.')}/stack-staging/registry@sha256:[0-9a-f]{64}$`),
  );
});

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
  'registry: one registry on the labelled host, storage in a named volume, HTTPS; push puts the app image in it',
  async (t) => {
    const r = await bootstrap('registry');
    t.is(r.code, 0, r.stdout + r.stderr);
    const c = await engine(HOSTS[0]).getContainer('staging-registry-registry-1').inspect();
    t.true(c.State.Running);
    t.true(
      c.Mounts.some(
        (m) => m.Type === 'volume' && m.Name === 'staging-registry_data' && m.Destination === '/var/lib/registry',
      ),
    );
    for (const h of HOSTS.slice(1))
      t.deepEqual(await leftovers(['staging-registry']).then((l) => l.filter((o) => o.startsWith(h.name))), []);
    t.is((await registryGet('/v2/')).status, 200, 'HTTPS with the certificate of the CA the hosts trust');
    const keys = (await consulAt(HOSTS[1], '/v1/kv/stack/staging-registry/revisions/?keys')) as string[];
    t.true(keys.includes('stack/staging-registry/revisions/0000000001/manifest'), 'its state in the staging Consul');

    const pushed = await bootstrap('push', box.images.busybox);
    t.is(pushed.code, 0, pushed.stderr);
    appImage = pushed.stdout.trim();
    t.regex(appImage, new RegExp(`^${REGISTRY.replace(/\./g, '\\.')}/staging/busybox@sha256:[0-9a-f]{64}$`));
    t.true(JSON.parse((await registryGet('/v2/_catalog')).body).repositories.includes('staging/busybox'));
  },
);

test.serial(
  'app: applied with that Consul as state, pulled from the staging registry; revision in its KV, containers run, the port answers',
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
      t.is(c.Config.Image, appImage, `${h.name} runs the image from the staging registry`);
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
  const registryId = async () =>
    engine(HOSTS[0])
      .getContainer('staging-registry-registry-1')
      .inspect()
      .then((i) => `${i.Id} ${i.State.StartedAt}`);
  const before = [...(await ids()), await registryId()];
  const r = await bootstrap('up');
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /ok: 3 host\(s\) checked/);
  t.notRegex(r.stdout + r.stderr, /^✓ /m, 'no operation ran');
  t.deepEqual([...(await ids()), await registryId()], before, 'the same containers, never restarted');
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

/** pr-environment.sh as the GitHub workflow runs it: the runner's event file and variables, the operator's settings. */
function prEnvironment(event: Record<string, unknown> | undefined, env: Record<string, string> = {}): Promise<Run> {
  const file = path.join(work, 'event.json');
  if (event) writeFileSync(file, JSON.stringify(event));
  return run('bash', [path.join(DIR, 'pr-environment.sh')], {
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: file,
    STAGING_INVENTORY: inventory,
    CONSUL_SERVERS: HOSTS.map((h) => h.ip).join(','),
    APP_IMAGE: appImage,
    STACK_BIN: bin,
    ...env,
  });
}

/** A pull_request event as GitHub writes it to GITHUB_EVENT_PATH (the fields a workflow reads, and some it does not). */
function pullRequestEvent(action: string, number: number): Record<string, unknown> {
  return {
    action,
    number,
    pull_request: {
      number,
      state: action === 'closed' ? 'closed' : 'open',
      merged: action === 'closed',
      title: 'Change the page "$(touch /tmp/x)"',
      head: { ref: 'feature/page', sha: 'a'.repeat(40), repo: { full_name: 'ops/app' } },
      base: { ref: 'main', sha: 'b'.repeat(40), repo: { full_name: 'ops/app' } },
    },
    repository: { full_name: 'ops/app', default_branch: 'main' },
    sender: { login: 'someone' },
  };
}

test.serial(
  'from CI: pr-environment.sh brings a request up on "opened", ignores "labeled", removes it with its volumes on "closed"',
  async (t) => {
    const opened = await prEnvironment(pullRequestEvent('opened', 42));
    t.is(opened.code, 0, opened.stdout + opened.stderr);
    t.regex(opened.stderr, /pull request 42: up/);
    for (const h of HOSTS) {
      const c = await engine(h).getContainer(`${CI_PR}-web-${h.name}`).inspect();
      t.true(c.State.Running, h.name);
      t.is(c.Config.Image, appImage, h.name);
      t.deepEqual(c.HostConfig.PortBindings ?? {}, {}, `${h.name}: nothing published`);
    }
    t.true((await leftovers([CI_PR])).some((o) => o.endsWith(`volume ${CI_PR}_content`)));

    const labeled = await prEnvironment(pullRequestEvent('labeled', 42));
    t.is(labeled.code, 0, labeled.stderr);
    t.regex(labeled.stderr, /action 'labeled': nothing to do/);
    t.true((await leftovers([CI_PR])).length > 0, 'still up');

    const closed = await prEnvironment(pullRequestEvent('closed', 42));
    t.is(closed.code, 0, closed.stdout + closed.stderr);
    t.regex(closed.stderr, /pull request 42: down/);
    t.deepEqual(await leftovers([CI_PR]), [], 'no container, volume or network of the request');
    t.true((await engine(HOSTS[0]).getContainer('staging-app-web-h1').inspect()).State.Running, 'staging still runs');
  },
);

test.serial('pr-environment.sh refuses what is not a pull request event, by name, changing nothing', async (t) => {
  const cases: [Record<string, unknown> | undefined, Record<string, string>, RegExp][] = [
    [pullRequestEvent('opened', 43), { GITHUB_EVENT_NAME: 'push' }, /GITHUB_EVENT_NAME is 'push'/],
    [undefined, { GITHUB_EVENT_NAME: '' }, /no argument and no GITHUB_EVENT_NAME/],
    [undefined, { GITHUB_EVENT_PATH: path.join(work, 'missing.json') }, /GITHUB_EVENT_PATH .* is not a file/],
    [{ action: 'opened', number: '43; true' }, {}, /the request's number '43; true' is not a number/],
    [pullRequestEvent('opened', 43), { STAGING_INVENTORY: '' }, /STAGING_INVENTORY is required/],
  ];
  for (const [event, env, message] of cases) {
    const r = await prEnvironment(event, env);
    t.is(r.code, 1, message.source);
    t.regex(r.stderr, message);
  }
  const notJson = path.join(work, 'not-json.json');
  writeFileSync(notJson, 'not json');
  const bad = await prEnvironment(undefined, { GITHUB_EVENT_PATH: notJson });
  t.is(bad.code, 1);
  t.regex(bad.stderr, /is not a JSON event/);
  const gitlab = await run('bash', [path.join(DIR, 'pr-environment.sh'), 'down'], { STAGING_INVENTORY: inventory });
  t.is(gitlab.code, 1);
  t.regex(gitlab.stderr, /down needs the request's number: CI_MERGE_REQUEST_IID/);
  const unknown = await run('bash', [path.join(DIR, 'pr-environment.sh'), 'stop']);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /unknown argument 'stop'/);
  t.deepEqual(await leftovers(['pr-43']), []);
});

test.serial('down: the app, registry and Consul stacks removed, volumes included', async (t) => {
  const r = await bootstrap('down');
  t.is(r.code, 0, r.stdout + r.stderr);
  t.deepEqual(await leftovers(STACKS), []);
  cleaned = true;
});
