/**
 * Consul as a 3-server cluster (the `c3` sandbox instance): stack talks to any server it is given, rides out a
 * leader election (Consul answers 500 until a new leader is elected: retried with back-off), keeps a lock whose
 * session survives the election, and says so clearly — with nothing changed on the hosts — when a majority of the
 * servers is down. The tests stop and start Consul servers, so they run one at a time and restore every server.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import test from 'ava';
import Docker from 'dockerode';
import { ConsulClient } from '../../src/consul/client.js';
import { ConsulStateStore } from '../../src/state/consul-store.js';
import { C3_UP_ARGS, repoRoot, sandboxInstanceUp, type Sandbox } from '../helpers/sandbox.js';
import { eventually, uniqueStack } from './reconcile-helpers.js';
import { folder, stackCli } from './consul-helpers.js';
import { Labels } from '../../src/labels.js';

const c3: Sandbox = sandboxInstanceUp('c3', C3_UP_ARGS);
const servers = c3.consul.servers ?? [];
const script = path.join(repoRoot, 'deploy', 'sandbox', 'sandbox.sh');

function sandboxCmd(...args: string[]): void {
  execFileSync('bash', [script, ...args], { env: { ...process.env, STACK_SANDBOX: 'c3' }, stdio: 'ignore' });
}

/** The leader's server number (1-3) as `via` sees it, or undefined while there is none. */
async function leaderSeenBy(via: string): Promise<number | undefined> {
  const text = await fetch(`${via}/v1/status/leader`).then(
    (r) => r.text(),
    () => '""',
  );
  const ip = (JSON.parse(text) as string).split(':')[0];
  const n = servers.findIndex((s) => new URL(s).hostname === ip);
  return n >= 0 ? n + 1 : undefined;
}

/** Whether Consul's autopilot says the cluster is healthy and can lose one server (every server a stable voter). */
async function canLoseOne(via: string): Promise<boolean> {
  const res = await fetch(`${via}/v1/operator/autopilot/health`).catch(() => undefined);
  if (!res?.ok) return false;
  const health = (await res.json()) as { Healthy?: boolean; FailureTolerance?: number };
  return health.Healthy === true && (health.FailureTolerance ?? 0) >= 1;
}

/**
 * Every server up, one leader all agree on, and autopilot healthy with a failure tolerance of one (a server just
 * restarted is a voter again only once it is stable): the state each test starts from and leaves.
 */
async function wholeCluster(): Promise<number> {
  for (let n = 1; n <= servers.length; n++) sandboxCmd('start-consul', String(n));
  return eventually(
    async () => {
      const seen = await Promise.all(servers.map(leaderSeenBy));
      const agreed = seen[0] !== undefined && seen.every((l) => l === seen[0]) ? seen[0] : undefined;
      return agreed !== undefined && (await canLoseOne(servers[agreed - 1])) ? agreed : undefined;
    },
    90_000,
    'one leader agreed on by the three Consul servers, and a cluster that can lose one',
  );
}

const server = (n: number) => servers[n - 1];
const others = (n: number) => [1, 2, 3].filter((i) => i !== n);

function inventory(consul: string): string {
  const hosts = c3.hosts.map((h) =>
    [
      `  ${h.name}:`,
      `    endpoint: ${h.tcp}`,
      `    tls: { ca: ${h.tls.ca}, cert: ${h.tls.cert}, key: ${h.tls.key} }`,
    ].join('\n'),
  );
  return `hosts:\n${hosts.join('\n')}\nconsul: ${consul}\n`;
}

const stackFile = (name: string) => `name: ${name}
services:
  web:
    image: ${c3.images.busybox}
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    deploy: { replicas: 2 }
`;

async function containersOf(stack: string): Promise<string[]> {
  const names: string[] = [];
  for (const h of c3.hosts) {
    const list = await new Docker({ socketPath: h.socket.replace(/^unix:\/\//, '') }).listContainers({
      all: true,
      filters: { label: [`${Labels.stack}=${stack}`] },
    });
    names.push(...list.filter((c) => c.State === 'running').map((c) => `${h.name}/${c.Names[0].slice(1)}`));
  }
  return names;
}

function cleanup(t: { teardown: (f: () => Promise<void>) => void }, name: string, dir: string): void {
  t.teardown(async () => {
    await wholeCluster();
    await stackCli(['destroy', '-y', '-i', 'inventory.yaml', '-p', name], { cwd: dir }).catch(() => undefined);
  });
}

test.before(() => {
  if (servers.length !== 3) throw new Error(`the c3 sandbox runs ${servers.length} Consul servers, not 3`);
});

test.serial('an apply started just after the leader died waits out the election and succeeds', async (t) => {
  const leader = await wholeCluster();
  const via = server(others(leader)[0]);
  const name = uniqueStack('leader');
  const dir = folder({ 'compose.yaml': stackFile(name), 'inventory.yaml': inventory(via) });
  cleanup(t, name, dir);
  sandboxCmd('stop-consul', String(leader));
  const r = await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(r.code, 0, r.stderr);
  t.is((await containersOf(name)).length, 2, 'both replicas run');
  const history = await stackCli(['history', '-i', 'inventory.yaml', '--json'], { cwd: dir });
  t.is(history.code, 0, history.stderr);
  t.regex(history.stdout, /"number":\s*1,[^}]*"result":\s*"ok"/, 'the revision was recorded in the cluster');
  const newLeader = await leaderSeenBy(via);
  t.truthy(newLeader);
  t.not(newLeader, leader, 'another server leads now');
});

test.serial('a held lock survives a leader election: renewed, still held, its writes go through', async (t) => {
  const leader = await wholeCluster();
  const via = server(others(leader)[0]);
  const name = uniqueStack('leaderlock');
  const store = new ConsulStateStore(new ConsulClient({ address: via, source: '--consul' }));
  const info = {
    stack: name,
    user: 'test',
    machine: 'test',
    command: 'apply',
    since: new Date().toISOString(),
    pid: 1,
  };
  const held = await store.acquire(name, info, { timeoutMs: 10_000 });
  t.teardown(async () => {
    await wholeCluster();
    await held.release().catch(() => undefined);
    await fetch(`${via}/v1/kv/stack/${name}/?recurse=true`, { method: 'DELETE' }).catch(() => undefined);
  });
  sandboxCmd('stop-consul', String(leader));
  const elected = await eventually(
    async () => {
      const l = await leaderSeenBy(via);
      return l !== undefined && l !== leader ? l : undefined;
    },
    60_000,
    'a new leader',
  );
  t.not(elected, leader);
  // Past a renewal period (5 s) under the new leader: the session was renewed, not lost.
  const session = await eventually(
    async () => {
      const res = await fetch(`${via}/v1/kv/stack/${name}/lock`);
      const [item] = res.ok ? ((await res.json()) as { Session?: string }[]) : [];
      return item?.Session;
    },
    10_000,
    'the lock key',
  );
  await new Promise((r) => setTimeout(r, 6_000)); // let one renewal happen under the new leader
  t.false(held.lost.aborted, held.lost.aborted ? String(held.lost.reason) : '');
  t.notThrows(() => held.fence.check('a write under the new leader'));
  const sessions = await fetch(`${via}/v1/session/info/${session}`).then((r) => r.json() as Promise<unknown[]>);
  t.is(sessions.length, 1, 'the session still exists in Consul');
});

test.serial(
  'with most servers down: one clear error after the leader wait, nothing changed on the hosts',
  async (t) => {
    const leader = await wholeCluster();
    const keep = others(leader)[0];
    const via = server(keep);
    const name = uniqueStack('noquorum');
    const dir = folder({ 'compose.yaml': stackFile(name), 'inventory.yaml': inventory(via) });
    cleanup(t, name, dir);
    for (const n of [1, 2, 3].filter((i) => i !== keep)) sandboxCmd('stop-consul', String(n));
    const r = await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir });
    t.is(r.code, 1, r.stdout);
    t.regex(r.stderr, /no leader for 20s/);
    t.regex(r.stderr, /majority of its servers/);
    t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
    t.deepEqual(await containersOf(name), [], 'no container was created');
    // With the servers back, the same apply converges.
    await wholeCluster();
    const again = await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir });
    t.is(again.code, 0, again.stderr);
    t.is((await containersOf(name)).length, 2);
  },
);

test.serial(
  'with the first server named stopped before the run, stack uses the others: apply, no-op, history',
  async (t) => {
    const leader = await wholeCluster();
    const down = others(leader)[0];
    const name = uniqueStack('failover');
    const list = `[${[down, ...others(down)].map(server).join(', ')}]`;
    const dir = folder({ 'compose.yaml': stackFile(name), 'inventory.yaml': inventory(list) });
    cleanup(t, name, dir);
    sandboxCmd('stop-consul', String(down));
    const applied = await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir });
    t.is(applied.code, 0, applied.stderr);
    t.is((await containersOf(name)).length, 2, 'both replicas run');
    const noop = await stackCli(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], { cwd: dir });
    t.is(noop.code, 0, noop.stdout + noop.stderr);
    const history = await stackCli(['history', '--json', '-i', 'inventory.yaml'], { cwd: dir });
    t.is(history.code, 0, history.stderr);
    t.regex(history.stdout, /apply/);
    // The revision is in the cluster: a server that was not used reads it.
    const key = await fetch(`${server(others(down)[1])}/v1/kv/stack/${name}/?keys`).then(
      (r) => r.json() as Promise<string[]>,
    );
    t.true(key.length > 0, 'the stack has keys in Consul');
  },
);

test.serial(
  'every server named refuses connections: one message naming them all, exit 1, nothing changed',
  async (t) => {
    const name = uniqueStack('nonenamed');
    const dir = folder({
      'compose.yaml': stackFile(name),
      'inventory.yaml': inventory('[http://127.0.0.1:1, http://127.0.0.1:2]'),
    });
    cleanup(t, name, dir);
    const r = await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir });
    t.is(r.code, 1, r.stdout);
    t.regex(r.stderr, /http:\/\/127\.0\.0\.1:1, http:\/\/127\.0\.0\.1:2/);
    t.regex(r.stderr, /no server answered/);
    t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
    t.deepEqual(await containersOf(name), []);
  },
);
