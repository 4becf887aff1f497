/**
 * Fencing on the real sandbox: once a run's lock is lost, no write reaches any daemon (the HostClient's transport
 * refuses it, dockerode used directly included) and none reaches Consul; `unlock --force` removes only the lock
 * at the index it was shown (check-and-set), never one taken meanwhile.
 */
import test from 'ava';
import { ConsulClient } from '../../src/consul/client.js';
import { ConsulStateStore } from '../../src/state/consul-store.js';
import { HostClient } from '../../src/docker/client.js';
import { fenceOf, FencedError } from '../../src/fence.js';
import { Labels } from '../../src/labels.js';
import { lockInfo } from '../../src/state/lock-info.js';
import { hashStored } from '../../src/state/revision.js';
import {
  containersOf,
  eventually,
  eventWindowStart,
  execIn,
  hostEvents,
  hostSpecs,
  IMAGE,
  uniqueStack,
} from './reconcile-helpers.js';
import {
  cleanupStack,
  consulAddress,
  consulApi,
  folder,
  inventoryYaml,
  lockSession,
  spawnStack,
  stackCli,
} from './consul-helpers.js';

/** Engine actions that change something (exec_* are the test's own probes). */
const WRITES = new Set([
  'create',
  'start',
  'stop',
  'kill',
  'destroy',
  'rename',
  'update',
  'connect',
  'disconnect',
  'remove',
  'pause',
  'unpause',
]);

function store(): ConsulStateStore {
  return new ConsulStateStore(new ConsulClient({ address: consulAddress(), source: '--consul' }));
}

/** `slow` becomes healthy when the test says so; `after` waits for it. */
const gated = (name: string) => `name: ${name}
services:
  slow:
    image: ${IMAGE()}
    command: ["sleep", "3600"]
    healthcheck: { test: ["CMD", "test", "-f", "/tmp/ok"], interval: 1s, retries: 300 }
  after:
    image: ${IMAGE()}
    command: ["sleep", "3600"]
    depends_on: { slow: { condition: service_healthy } }
`;

test('a closed fence: no Engine write is sent, through HostClient or dockerode directly; reads still work', async (t) => {
  const name = uniqueStack('fence');
  const lost = new AbortController();
  const client = HostClient.fromSpec(
    hostSpecs('socket').find((h) => h.name === 'h1')!,
    undefined,
    fenceOf(lost.signal),
  );
  const since = await eventWindowStart();
  lost.abort(new Error(`lost the lock on stack ${name}: test`));
  const body = { Image: IMAGE(), Cmd: ['true'], Labels: { [Labels.stack]: name } };
  const err = await t.throwsAsync(client.createContainer(`${name}-x`, body));
  t.regex(
    String(err?.message),
    /host h1: create container \S+: not sent \(create container \S+\): lost the lock on stack \S+: test/,
  );
  t.true(err?.cause instanceof FencedError);
  await t.throwsAsync(client.docker.createContainer({ ...body, name: `${name}-y` }), {
    instanceOf: FencedError,
    message: /not sent \(POST \/containers\/create on host h1\)/,
  });
  await t.throwsAsync(client.createNetwork({ Name: `${name}-n`, Labels: { [Labels.stack]: name } }), {
    message: /not sent/,
  });
  t.true(Array.isArray(await client.listContainers({ label: [`${Labels.stack}=${name}`] })), 'reads are not fenced');
  t.is(client.counts.writes, 0, 'a refused write is never counted as sent');
  t.deepEqual(await hostEvents(since, { label: [`${Labels.stack}=${name}`] }), [], 'no event on any host');
  t.is((await containersOf(name)).size, 0);
});

test('a lock session lost mid-apply: no Engine write after the loss (daemon event times), no revision, exit 1; a re-run converges', async (t) => {
  const name = uniqueStack('fenced');
  const dir = folder({ 'compose.yaml': gated(name), 'inventory.yaml': inventoryYaml() });
  cleanupStack(t, name, dir);
  const run = spawnStack(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir });
  const session = await eventually(() => lockSession(name), 30_000, 'the apply to hold the lock');
  await eventually(
    async () =>
      [...(await containersOf(name)).values()].some(
        (c) => c.info.Names[0].includes('-slow-') && c.info.State === 'running',
      ),
    30_000,
    'slow to run',
  );
  const lostAt = Date.now();
  await consulApi(`session/destroy/${session}`, { method: 'PUT' });
  // Now slow may become healthy: after's start (and everything else) would be a write after the loss.
  const [cname, c] = [...(await containersOf(name)).entries()].find(([n]) => n.includes('-slow-'))!;
  await execIn(c.host, cname, ['touch', '/tmp/ok']);
  const r = await run.done;
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /error: lost the lock on stack \S+: .*no write was sent to any host or to Consul after that/);
  const after = (await hostEvents(lostAt, { label: [`${Labels.stack}=${name}`] })).filter(({ event: e }) =>
    WRITES.has(e.Action.split(':')[0]),
  );
  t.deepEqual(
    after.map(({ host, event: e }) => `${host} ${e.Type} ${e.Action} ${e.Actor.Attributes.name}`),
    [],
    'no write event on any host after the session was destroyed',
  );
  t.deepEqual((await consulApi<string[]>(`kv/stack/${name}/revisions/?keys`)) ?? [], [], 'no revision recorded');

  const again = await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(again.code, 0, again.stderr);
  const running = [...(await containersOf(name)).values()]
    .filter((x) => x.info.State === 'running')
    .map((x) => x.info.Names[0].replace(/^\//, ''));
  t.deepEqual(running.sort(), [`${name}-after-1`, `${name}-slow-1`]);
});

test('unlock --force --index: a stale index (the lock was taken again meanwhile) refuses and removes nothing; the shown index removes it', async (t) => {
  const name = uniqueStack('cas');
  const dir = folder({ 'compose.yaml': gated(name), 'inventory.yaml': inventoryYaml() });
  t.teardown(() => consulApi(`kv/stack/${name}/?recurse=true`, { method: 'DELETE' }).catch(() => undefined));
  const s = store();
  t.teardown(() => s.close());
  const first = await s.acquire(name, { ...lockInfo(name, 'apply', {}), user: 'first' }, { timeoutMs: 0 });
  const shown = await stackCli(['unlock', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(shown.code, 1);
  const stale = /locked by first@\S+ .*\(index (\d+)\)/.exec(shown.stderr)?.[1];
  t.truthy(stale, shown.stderr);
  t.regex(shown.stderr, new RegExp(`stack unlock --force --index ${stale}`));
  await first.release();
  const second = await s.acquire(name, { ...lockInfo(name, 'apply', {}), user: 'second' }, { timeoutMs: 5000 });
  t.teardown(() => second.release());

  const refused = await stackCli(['unlock', '--force', '--index', stale!, '-i', 'inventory.yaml'], { cwd: dir });
  t.is(refused.code, 1, refused.stdout);
  t.regex(
    refused.stderr,
    new RegExp(
      `error: the lock of stack ${name} is not the one at index ${stale} any more: it is now held by second@\\S+ .* at index (\\d+); nothing removed`,
    ),
  );
  t.is(await lockSession(name), second.info.id, 'the second holder keeps its lock');
  t.false(second.lost.aborted);
  t.notThrows(() => second.fence.check('a write'));

  const current = /at index (\d+); nothing removed/.exec(refused.stderr)![1];
  const removed = await stackCli(['unlock', '--force', '--index', current, '-i', 'inventory.yaml'], { cwd: dir });
  t.is(removed.code, 0, removed.stderr);
  t.regex(
    removed.stdout,
    new RegExp(`removed the lock of stack ${name} in Consul at \\S+: held by second@\\S+ .*session ${second.info.id}`),
  );
  t.is(await lockSession(name), undefined);
  await eventually(async () => second.lost.aborted, 5000, 'the holder to see its lock lost');
  t.throws(() => second.fence.check('a write'), { instanceOf: FencedError });

  const without = await stackCli(['unlock', '--index', current, '-i', 'inventory.yaml'], { cwd: dir });
  t.is(without.code, 1);
  t.regex(without.stderr, /--index needs --force/);
});

test("state read back from Consul is checked: a revision with a label under stack's prefix is refused by rollback naming the revision, a poisoned manifest by history naming the key; nothing is written on any host", async (t) => {
  const name = uniqueStack('poison');
  const dir = folder({
    'compose.yaml': `name: ${name}\nservices:\n  web:\n    image: ${IMAGE()}\n    command: ["sleep", "3600"]\n`,
    'inventory.yaml': inventoryYaml(),
  });
  t.teardown(() => consulApi(`kv/stack/${name}/?recurse=true`, { method: 'DELETE' }).catch(() => undefined));
  const s = store();
  t.teardown(() => s.close());
  // A revision anyone with KV write could record: consistent manifest and chunks, a privileged label inside.
  const web = {
    name: 'web',
    image: IMAGE(),
    environment: {},
    ports: [],
    expose: [],
    mounts: [],
    networks: { default: { aliases: [] } },
    restart: { name: 'no', maximumRetryCount: 0 },
    labels: { [Labels.managed]: 'false' },
    dependsOn: {},
    capAdd: [],
    capDrop: [],
    privileged: true,
    readOnly: false,
    secrets: [],
    configs: [],
    pullPolicy: 'missing',
    deploy: { mode: 'replicated', replicas: 1, constraints: [], updateConfig: {}, rollbackConfig: {} },
  };
  const desired = { name, workingDir: dir, services: { web }, networks: {}, volumes: {}, configs: {}, secrets: {} };
  const summary = {
    result: 'ok' as const,
    kind: 'apply' as const,
    command: 'apply',
    who: 'mallory@x',
    when: new Date().toISOString(),
    plan: { create: 1, replace: 0, update: 0, remove: 0, operations: 1 },
  };
  await s.record(name, { number: 1, hash: hashStored(desired), ...summary, desired }, 20);
  const since = await eventWindowStart();
  const r = await stackCli(['rollback', '--to', '1', '-y', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(r.code, 1, r.stdout);
  t.regex(
    r.stderr,
    new RegExp(
      `revision 1 of stack ${name} in Consul at \\S+ services\\.web\\.labels\\["io\\.github\\.stack-deploy\\.managed"\\]: label io\\.github\\.stack-deploy\\.managed is under stack's own prefix`,
    ),
  );
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');

  await consulApi(`kv/stack/${name}/revisions/0000000002/manifest`, {
    method: 'PUT',
    body: JSON.stringify({
      ...summary,
      number: 2,
      hash: 'x',
      encoding: 'json',
      chunks: 1,
      bytes: 1,
      sha256: 'y',
      chunkDir: '../../../other',
    }),
  });
  const h = await stackCli(['history', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(h.code, 1, h.stdout);
  t.regex(
    h.stderr,
    new RegExp(`error: Consul at \\S+: stack/${name}/revisions/0000000002/manifest: hash must match pattern`),
  );
  t.deepEqual(await hostEvents(since, { label: [`${Labels.stack}=${name}`] }), [], 'nothing written on any host');
  t.is((await containersOf(name)).size, 0);
});
