/**
 * Fencing on the real sandbox: once a run's lock is lost, no write reaches any daemon (the HostClient's transport
 * refuses it, dockerode used directly included) and none reaches Consul; `unlock --force` removes only the lock
 * at the index it was shown (check-and-set), never one taken meanwhile.
 */
import test from 'ava';
import { ConsulClient } from '../../src/consul/client.js';
import { ConsulStateStore } from '../../src/consul/state-store.js';
import { HostClient } from '../../src/docker/client.js';
import { fenceOf, FencedError } from '../../src/fence.js';
import { Labels } from '../../src/labels.js';
import { lockInfo } from '../../src/state/lock-info.js';
import { containersOf, eventually, eventWindowStart, execIn, hostEvents, hostSpecs, IMAGE, uniqueStack } from './reconcile-helpers.js';
import { cleanupStack, consulAddress, consulApi, folder, inventoryYaml, lockSession, spawnStack, stackCli } from './consul-helpers.js';

/** Engine actions that change something (exec_* are the test's own probes). */
const WRITES = new Set(['create', 'start', 'stop', 'kill', 'destroy', 'rename', 'update', 'connect', 'disconnect', 'remove', 'pause', 'unpause']);

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
  const client = HostClient.fromSpec(hostSpecs('socket').find((h) => h.name === 'h1')!, undefined, fenceOf(lost.signal));
  const since = await eventWindowStart();
  lost.abort(new Error(`lost the lock on stack ${name}: test`));
  const body = { Image: IMAGE(), Cmd: ['true'], Labels: { [Labels.stack]: name } };
  const err = await t.throwsAsync(client.createContainer(`${name}-x`, body));
  t.regex(String(err?.message), /host h1: create container \S+: not sent \(create container \S+\): lost the lock on stack \S+: test/);
  t.true(err?.cause instanceof FencedError);
  await t.throwsAsync(client.docker.createContainer({ ...body, name: `${name}-y` }), { instanceOf: FencedError, message: /not sent \(POST \/containers\/create on host h1\)/ });
  await t.throwsAsync(client.createNetwork({ Name: `${name}-n`, Labels: { [Labels.stack]: name } }), { message: /not sent/ });
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
  await eventually(async () => [...(await containersOf(name)).values()].some((c) => c.info.Names[0].includes('-slow-') && c.info.State === 'running'), 30_000, 'slow to run');
  const lostAt = Date.now();
  await consulApi(`session/destroy/${session}`, { method: 'PUT' });
  // Now slow may become healthy: after's start (and everything else) would be a write after the loss.
  const [cname, c] = [...(await containersOf(name)).entries()].find(([n]) => n.includes('-slow-'))!;
  await execIn(c.host, cname, ['touch', '/tmp/ok']);
  const r = await run.done;
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /error: lost the lock on stack \S+: .*no write was sent to any host or to Consul after that/);
  const after = (await hostEvents(lostAt, { label: [`${Labels.stack}=${name}`] })).filter(({ event: e }) => WRITES.has(e.Action.split(':')[0]));
  t.deepEqual(after.map(({ host, event: e }) => `${host} ${e.Type} ${e.Action} ${e.Actor.Attributes.name}`), [], 'no write event on any host after the session was destroyed');
  t.deepEqual((await consulApi<string[]>(`kv/stack/${name}/revisions/?keys`)) ?? [], [], 'no revision recorded');

  const again = await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(again.code, 0, again.stderr);
  const running = [...(await containersOf(name)).values()].filter((x) => x.info.State === 'running').map((x) => x.info.Names[0].replace(/^\//, ''));
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
  t.regex(refused.stderr, new RegExp(`error: the lock of stack ${name} is not the one at index ${stale} any more: it is now held by second@\\S+ .* at index (\\d+); nothing removed`));
  t.is(await lockSession(name), second.info.id, 'the second holder keeps its lock');
  t.false(second.lost.aborted);
  t.notThrows(() => second.fence.check('a write'));

  const current = /at index (\d+); nothing removed/.exec(refused.stderr)![1];
  const removed = await stackCli(['unlock', '--force', '--index', current, '-i', 'inventory.yaml'], { cwd: dir });
  t.is(removed.code, 0, removed.stderr);
  t.regex(removed.stdout, new RegExp(`removed the lock of stack ${name} in Consul at \\S+: held by second@\\S+ .*session ${second.info.id}`));
  t.is(await lockSession(name), undefined);
  await eventually(async () => second.lost.aborted, 5000, 'the holder to see its lock lost');
  t.throws(() => second.fence.check('a write'), { instanceOf: FencedError });

  const without = await stackCli(['unlock', '--index', current, '-i', 'inventory.yaml'], { cwd: dir });
  t.is(without.code, 1);
  t.regex(without.stderr, /--index needs --force/);
});
