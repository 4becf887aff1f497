/**
 * The apply lock in Consul on the real sandbox: one writer at a time per stack, the waiter names the holder,
 * a killed holder's lock frees within 2×TTL + lock-delay, other stacks are not blocked, unlock --force,
 * Consul unreachable before any write, a session lost during apply, an ordinary failed apply releases the lock.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { ConsulClient } from '../../src/consul/client.js';
import { ConsulStateStore, LOCK_DELAY_S, SESSION_TTL_S } from '../../src/state/consul-store.js';
import { lockInfo } from '../../src/state/lock-info.js';
import { Labels } from '../../src/labels.js';
import {
  containersOf,
  docker,
  eventually,
  execIn,
  hostEvents,
  IMAGE,
  sandbox,
  uniqueStack,
  eventWindowStart,
} from './reconcile-helpers.js';
import {
  cleanupStack,
  consulAddress,
  consulApi,
  events,
  folder,
  inventoryYaml,
  lockSession,
  spawnStack,
  stackCli,
} from './consul-helpers.js';

const plain = (name: string, v: string, replicas = 3) => `name: ${name}
services:
  web:
    image: ${IMAGE()}
    command: ["sleep", "3600"]
    environment: { V: "${v}" }
    stop_grace_period: 1s
    deploy: { replicas: ${replicas} }
`;

/** \`slow\` becomes healthy after about 4 s; \`after\` waits for it: an apply that holds the lock a while. */
const slow = (name: string) => `name: ${name}
services:
  slow:
    image: ${IMAGE()}
    command: ["sh", "-c", "sleep 4; touch /tmp/ok; sleep 3600"]
    healthcheck: { test: ["CMD", "test", "-f", "/tmp/ok"], interval: 1s, retries: 30 }
  after:
    image: ${IMAGE()}
    command: ["sleep", "3600"]
    depends_on: { slow: { condition: service_healthy } }
`;

/** Two replicas rolled one at a time; \`broken\` exits at once, so its rollout rolls back (exit 1). */
const rolling = (name: string, v: string, broken = false) => `name: ${name}
services:
  web:
    image: ${IMAGE()}
    command: ["sh", "-c", "${broken ? 'exit 3' : "trap 'exit 0' TERM; sleep 3600 & wait"}"]
    environment: { V: "${v}" }
    stop_grace_period: 1s
    deploy:
      replicas: 2
      update_config: { parallelism: 1, monitor: 1s, failure_action: rollback }
`;

/** Like \`slow\`, but slow becomes healthy only when the test says so (markHealthy): no race with the test's own pace. */
const gated = (name: string) => slow(name).replace('sleep 4; touch /tmp/ok; sleep 3600', 'sleep 3600');

/** Until the slow replica runs (started, not merely created). */
async function slowRuns(name: string): Promise<void> {
  await eventually(
    async () =>
      [...(await containersOf(name)).values()].some(
        (c) => c.info.Names[0].includes('-slow-') && c.info.State === 'running',
      ),
    30_000,
    'slow to run',
  );
}

/** Lets gated's slow replica pass its healthcheck. */
async function markHealthy(name: string): Promise<void> {
  const [cname, c] = [...(await containersOf(name)).entries()].find(([n]) => n.includes('-slow-'))!;
  const r = await execIn(c.host, cname, ['touch', '/tmp/ok']);
  if (r.exitCode !== 0) throw new Error(`touch /tmp/ok in ${cname} failed: ${r.output}`);
}

function store(): ConsulStateStore {
  return new ConsulStateStore(new ConsulClient({ address: consulAddress(), source: '--consul' }));
}

/** Container create/start events on every host since `since` (ms), with the container's config hash. */
async function writeEvents(stack: string, since: number): Promise<{ hash: string; t: number }[]> {
  return (await hostEvents(since, { type: ['container'], label: [`${Labels.stack}=${stack}`] }))
    .filter(({ event: e }) => e.Action === 'create' || e.Action === 'start')
    .map(({ event: e }) => ({ hash: String(e.Actor.Attributes[Labels.configHash]), t: Number(e.timeNano) }));
}

test('two applies of one stack started together: one writes at a time, the waiter names the holder', async (t) => {
  const name = uniqueStack('lock');
  const inventory = inventoryYaml();
  const a = folder({ 'compose.yaml': plain(name, '1'), 'inventory.yaml': inventory });
  const b = folder({ 'compose.yaml': plain(name, '2'), 'inventory.yaml': inventory });
  cleanupStack(t, name, a);
  const since = await eventWindowStart();
  const args = ['apply', '-y', '--json', '-i', 'inventory.yaml', '--lock-timeout', '2m'];
  const [ra, rb] = await Promise.all([
    stackCli(args, { cwd: a, env: { STACK_USER: 'writer-a' } }),
    stackCli(args, { cwd: b, env: { STACK_USER: 'writer-b' } }),
  ]);
  t.is(ra.code, 0, ra.stderr);
  t.is(rb.code, 0, rb.stderr);
  const waited = [ra, rb].filter((r) =>
    /is locked in Consul at .* by writer-[ab]@\S+ \(apply, pid \d+\) since /.test(r.stderr),
  );
  t.is(waited.length, 1, `${ra.stderr}\n${rb.stderr}`);
  t.is(waited[0].stderr.match(/is locked/g)!.length, 1, 'the holder is printed once');

  // The applies' own event streams do not overlap in time...
  const span = (stdout: string) => {
    const times = events(stdout)
      .filter((e) => e.type.startsWith('op-'))
      .map((e) => Date.parse(e.time));
    return [Math.min(...times), Math.max(...times)];
  };
  const [first, second] = [span(ra.stdout), span(rb.stdout)].sort((x, y) => x[0] - y[0]);
  t.true(first[1] <= second[0], 'the second apply started its operations after the first finished');
  // ...and neither do the daemons' events: every create/start of one version precedes every one of the other.
  const evs = await writeEvents(name, since);
  const groups = [...new Set(evs.map((e) => e.hash))].map((h) => evs.filter((e) => e.hash === h).map((e) => e.t));
  t.is(groups.length, 2);
  const [g1, g2] = groups.sort((x, y) => Math.min(...x) - Math.min(...y));
  t.true(Math.max(...g1) < Math.min(...g2), 'no interleaving of the two writers on the hosts');
  t.is(await lockSession(name), undefined, 'the lock is released at the end');
});

test(`a holder killed with SIGKILL: the next apply gets the lock within 2×TTL + lock-delay (${2 * SESSION_TTL_S + LOCK_DELAY_S} s)`, async (t) => {
  const name = uniqueStack('kill');
  const inventory = inventoryYaml();
  const dir = folder({ 'compose.yaml': slow(name), 'inventory.yaml': inventory });
  const next = folder({ 'compose.yaml': plain(name, '1', 1), 'inventory.yaml': inventory });
  cleanupStack(t, name, next);
  const holder = spawnStack(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir });
  await eventually(() => lockSession(name), 60_000, 'the first apply to hold the lock');
  holder.child.kill('SIGKILL');
  await holder.done;
  // The next apply starts at once, while the killed holder's session still holds the lock. The bound, not a
  // measurement: it gives up after 2×TTL + lock-delay, and a margin for its own start and for Consul's session
  // reaper, whose timer fires late on a loaded machine (8 s of margin missed once at load 57).
  const second = stackCli(
    ['apply', '-y', '-i', 'inventory.yaml', '--lock-timeout', `${2 * SESSION_TTL_S + LOCK_DELAY_S + 30}s`],
    { cwd: next },
  );
  t.truthy(await lockSession(name), 'the killed holder still holds the lock: its session has not expired yet');
  const r = await second;
  t.is(r.code, 0, r.stderr);
  // It waited for the lock, naming the holder — unless its own start took until Consul had already invalidated the
  // session (on a loaded machine; up to 2×TTL after the last renewal), when the lock is free at once.
  if (!/is locked in Consul/.test(r.stderr)) t.log('the killed session had expired before the next apply asked');
  const running = [...(await containersOf(name)).values()]
    .filter((c) => c.info.State === 'running')
    .map((c) => c.info.Names[0]);
  t.deepEqual(running, [`/${name}-web-1`]);
});

test('release deletes the lock key in one transaction and ends the session; a lock another session holds by then is left alone', async (t) => {
  const name = uniqueStack('release');
  t.teardown(() => consulApi(`kv/stack/${name}/?recurse=true`, { method: 'DELETE' }).catch(() => undefined));
  const s = store();
  t.teardown(() => s.close());
  const sessionOf = async (id: string) => (await consulApi(`session/info/${id}`)) as unknown[] | null;
  const first = await s.acquire(name, { ...lockInfo(name, 'apply', {}), user: 'first' }, { timeoutMs: 0 });
  await first.release();
  t.is((await fetch(`${consulAddress()}/v1/kv/stack/${name}/lock`)).status, 404, 'the lock key is gone');
  t.deepEqual((await sessionOf(first.info.id!)) ?? [], [], 'its session is destroyed');

  const second = await s.acquire(name, { ...lockInfo(name, 'apply', {}), user: 'second' }, { timeoutMs: 0 });
  const state = await s.lockState(name);
  t.is((await s.forceUnlock(name, state!.index)).outcome, 'removed');
  const third = await s.acquire(name, { ...lockInfo(name, 'apply', {}), user: 'third' }, { timeoutMs: 5000 });
  t.teardown(() => third.release());
  await second.release();
  t.is((await s.holder(name))?.user, 'third', "the second's release leaves the third's lock in place");
  t.is(await lockSession(name), third.info.id);
});

test('different stacks do not block each other; a held lock fails at once with --lock-timeout 0, naming the holder; unlock --force removes it', async (t) => {
  const held = uniqueStack('held');
  const free = uniqueStack('free');
  const inventory = inventoryYaml();
  const heldDir = folder({ 'compose.yaml': plain(held, '1', 1), 'inventory.yaml': inventory });
  const freeDir = folder({ 'compose.yaml': plain(free, '1', 1), 'inventory.yaml': inventory });
  cleanupStack(t, held, heldDir);
  cleanupStack(t, free, freeDir);
  const s = store();
  t.teardown(() => s.close());
  const lock = await s.acquire(
    held,
    { ...lockInfo(held, 'apply', { GITHUB_RUN_ID: '4242' }), user: 'holder-test' },
    { timeoutMs: 0 },
  );

  const other = await stackCli(['apply', '-y', '-i', 'inventory.yaml', '--lock-timeout', '0'], { cwd: freeDir });
  t.is(other.code, 0, other.stderr);

  const blocked = await stackCli(['apply', '-y', '-i', 'inventory.yaml', '--lock-timeout', '0'], { cwd: heldDir });
  t.is(blocked.code, 1);
  t.regex(
    blocked.stderr,
    /error: stack \S+ is locked by holder-test@\S+ \(apply, CI job GITHUB_RUN_ID=4242, pid \d+\)/,
  );
  t.regex(blocked.stderr, /holder: user holder-test, machine \S+, command apply, CI job GITHUB_RUN_ID=4242/);
  t.regex(blocked.stderr, /stack unlock --force/);
  t.is((await containersOf(held)).size, 0, 'nothing was written');

  const refused = await stackCli(['unlock', '-i', 'inventory.yaml'], { cwd: heldDir });
  t.is(refused.code, 1);
  t.regex(refused.stderr, /is locked by holder-test@/);
  const unlocked = await stackCli(['unlock', '--force', '-i', 'inventory.yaml'], { cwd: heldDir });
  t.is(unlocked.code, 0, unlocked.stderr);
  t.regex(
    unlocked.stdout,
    /removed the lock of stack \S+ in Consul at \S+: held by holder-test@\S+ .*session [0-9a-f-]+/,
  );
  await eventually(async () => lock.lost.aborted, 15_000, 'the holder to see its lock lost');
  t.regex(String(lock.lost.reason), /lost the lock/);
  await lock.release();
  const none = await stackCli(['unlock', '--force', '-i', 'inventory.yaml'], { cwd: heldDir });
  t.regex(none.stdout, /was not locked .*nothing removed/);
  const applied = await stackCli(['apply', '-y', '-i', 'inventory.yaml', '--lock-timeout', '0'], { cwd: heldDir });
  t.is(applied.code, 0, applied.stderr);
});

/** Consul's index of the stack's keys: any write under the prefix (lock acquire, release, delete; a revision) raises it. */
async function kvIndex(stack: string): Promise<string> {
  const res = await fetch(`${consulAddress()}/v1/kv/stack/${stack}/?recurse`);
  return String(res.headers.get('x-consul-index'));
}

test('a no-op apply takes no lock and writes nothing to Consul; while another run holds the lock it waits for it like any apply', async (t) => {
  const name = uniqueStack('nooplock');
  const dir = folder({ 'compose.yaml': plain(name, '1', 1), 'inventory.yaml': inventoryYaml() });
  cleanupStack(t, name, dir);
  t.is((await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir })).code, 0);
  const before = await kvIndex(name);
  const noop = await stackCli(['apply', '-y', '--json', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(noop.code, 0, noop.stderr);
  const summary = events(noop.stdout).at(-1) as unknown as { type: string; calls: Record<string, { writes: number }> };
  t.is(summary.type, 'summary');
  t.true(Object.values(summary.calls).every((c) => c.writes === 0));
  t.is(await kvIndex(name), before, 'no lock key written, released or deleted; no revision');

  const s = store();
  t.teardown(() => s.close());
  const lock = await s.acquire(name, { ...lockInfo(name, 'apply', {}), user: 'noop-holder' }, { timeoutMs: 0 });
  const blocked = await stackCli(['apply', '-y', '-i', 'inventory.yaml', '--lock-timeout', '0'], { cwd: dir });
  await lock.release();
  t.is(blocked.code, 1, 'a held lock sends even a no-op through the lock');
  t.regex(blocked.stderr, /error: stack \S+ is locked by noop-holder@/);
  t.is(blocked.stdout, '', 'nothing observed while the lock was held');
});

test('Consul unreachable: one error naming the address before any write to any host, exit 1', async (t) => {
  const name = uniqueStack('unreach');
  const dir = folder({ 'compose.yaml': plain(name, '1', 1), 'inventory.yaml': inventoryYaml() });
  cleanupStack(t, name, dir);
  for (const how of [['--consul', 'http://10.77.0.2:1'], []]) {
    const r = await stackCli(['apply', '-y', '-i', 'inventory.yaml', ...how], {
      cwd: dir,
      env: how.length ? {} : { CONSUL_HTTP_ADDR: '10.77.0.2:1' },
    });
    t.is(r.code, 1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    t.deepEqual(errors.length, 1, r.stderr);
    t.regex(errors[0], /^error: Consul at http:\/\/10\.77\.0\.2:1 is unreachable/);
    t.regex(r.stderr, how.length ? /comes from --consul/ : /comes from CONSUL_HTTP_ADDR/);
    t.is(r.stdout, '', 'no plan was shown: nothing was observed');
  }
  const status = await stackCli(['status', '-i', 'inventory.yaml', '--consul', 'http://10.77.0.2:1'], { cwd: dir });
  t.is(status.code, 0, 'status reads the hosts; the catalog snapshot is only a warning');
  t.regex(
    status.stderr,
    /warning: could not update the Consul catalog: Consul at http:\/\/10\.77\.0\.2:1 is unreachable/,
  );
  const tls = await stackCli(['apply', '-y', '-i', 'inventory.yaml', '--consul', 'https://10.77.0.2:8501'], {
    cwd: dir,
    env: { CONSUL_CACERT: '/nonexistent/ca.pem' },
  });
  t.is(tls.code, 1);
  t.regex(tls.stderr, /error: cannot set up the Consul client: .*\/nonexistent\/ca\.pem/);
  const badTimeout = await stackCli(['apply', '-y', '-i', 'inventory.yaml', '--lock-timeout', 'soon'], { cwd: dir });
  t.is(badTimeout.code, 1);
  t.regex(badTimeout.stderr, /error: --lock-timeout soon: not a duration/);
  t.is((await containersOf(name)).size, 0);
  const networks = await Promise.all(
    sandbox().hosts.map((h) => docker(h.name).listNetworks({ filters: { label: [`${Labels.stack}=${name}`] } })),
  );
  t.is(networks.flat().length, 0);
});

test('a session lost during apply stops new operations and reports it', async (t) => {
  const name = uniqueStack('lost');
  const dir = folder({ 'compose.yaml': gated(name), 'inventory.yaml': inventoryYaml() });
  cleanupStack(t, name, dir);
  const run = spawnStack(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir });
  const session = await eventually(() => lockSession(name), 30_000, 'the apply to hold the lock');
  // Lose the session once slow runs (its start is itself an operation: one begun after the loss is rightly never
  // started), then let slow become healthy: after's start is the operation that must not happen.
  await slowRuns(name);
  await consulApi(`session/destroy/${session}`, { method: 'PUT' });
  await markHealthy(name);
  const r = await run.done;
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /error: lost the lock on stack \S+: .*no write was sent to any host or to Consul after that/);
  const found = [...(await containersOf(name)).values()];
  t.true(found.some((c) => c.info.Names[0].includes('-slow-') && c.info.State === 'running'));
  t.false(
    found.some((c) => c.info.Names[0].includes('-after-') && c.info.State === 'running'),
    'after was never started: its start waited for slow, and the lock was gone by then',
  );
});

test('SIGINT during apply: exit 130, the revision is recorded as interrupted, the lock is released', async (t) => {
  const name = uniqueStack('int');
  const dir = folder({ 'compose.yaml': gated(name), 'inventory.yaml': inventoryYaml() });
  cleanupStack(t, name, dir);
  const run = spawnStack(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir });
  await eventually(() => lockSession(name), 30_000, 'the apply to hold the lock');
  // slow runs and is not yet healthy: the apply is waiting for it when the signal comes. That wait is in flight, so
  // it may finish (within the grace time): slow becomes healthy just after, and nothing new (after) is started.
  await slowRuns(name);
  run.child.kill('SIGINT');
  await markHealthy(name);
  const r = await run.done;
  t.is(r.code, 130, r.stderr);
  t.is(await lockSession(name), undefined, 'released on interrupt');
  const h = await stackCli(['history', '--json', '-i', 'inventory.yaml'], { cwd: dir });
  t.deepEqual(
    JSON.parse(h.stdout).revisions.map((x: { result: string }) => x.result),
    ['interrupted'],
  );
  t.false(
    [...(await containersOf(name)).values()].some(
      (c) => c.info.Names[0].includes('-after-') && c.info.State === 'running',
    ),
    'after was not started: nothing new starts after the signal',
  );
});

test('an ordinary failed apply (a rollout rolled back, exit 1) releases the lock: the key is free, the next apply with --lock-timeout 0 goes through; the revision in Consul records the rollout', async (t) => {
  const name = uniqueStack('faillock');
  const dir = folder({ 'compose.yaml': rolling(name, '1'), 'inventory.yaml': inventoryYaml() });
  cleanupStack(t, name, dir);
  const apply = () => stackCli(['apply', '-y', '-i', 'inventory.yaml', '--lock-timeout', '0'], { cwd: dir });
  t.is((await apply()).code, 0);
  writeFileSync(path.join(dir, 'compose.yaml'), rolling(name, '2', true));
  const failed = await apply();
  t.is(failed.code, 1, failed.stdout + failed.stderr);
  t.regex(failed.stdout, /rollout web: rolled back/);
  t.regex(failed.stderr, /apply failed/);
  t.is(await lockSession(name), undefined, 'the lock key is gone or held by no session');
  const key = await consulApi<{ Session?: string }[]>(`kv/stack/${name}/lock`);
  t.true(!key || key.every((k) => !k.Session), JSON.stringify(key));

  writeFileSync(path.join(dir, 'compose.yaml'), rolling(name, '3'));
  const next = await apply();
  t.is(next.code, 0, `right after the failed apply, the lock is free at once: ${next.stderr}`);
  t.is(await lockSession(name), undefined);

  const h = await stackCli(['history', '--json', '-i', 'inventory.yaml'], { cwd: dir });
  const revisions = JSON.parse(h.stdout).revisions as {
    result: string;
    rollouts?: { service: string; outcome: string; failures: { replica: string; reason: string }[] }[];
  }[];
  t.deepEqual(
    revisions.map((r) => r.result),
    ['ok', 'failed', 'ok'],
  );
  t.like(revisions[1].rollouts?.[0], { service: 'web', outcome: 'rolled-back' });
  t.regex(revisions[1].rollouts?.[0].failures[0].replica ?? '', new RegExp(`^${name}-web-\\d$`));
  t.regex(revisions[1].rollouts?.[0].failures[0].reason ?? '', /exited with code 3 within the monitor period/);
  t.like(revisions[2].rollouts?.[0], { service: 'web', outcome: 'completed' });
});

test(`an apply longer than 2×TTL (${2 * SESSION_TTL_S} s) keeps its lock: the session is renewed, the same one holds the key throughout, the apply ends ok`, async (t) => {
  const name = uniqueStack('renew');
  const wait = 2 * SESSION_TTL_S + 6;
  const dir = folder({
    'compose.yaml': slow(name)
      .replace('sleep 4; touch /tmp/ok', `sleep ${wait}; touch /tmp/ok`)
      .replace('retries: 30', `retries: ${wait + 30}`),
    'inventory.yaml': inventoryYaml(),
  });
  cleanupStack(t, name, dir);
  const started = Date.now();
  const run = spawnStack(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir });
  const session = await eventually(() => lockSession(name), 30_000, 'the apply to hold the lock');
  // Past two TTLs: a session that was not renewed would have expired and released the key by now.
  await new Promise((r) => setTimeout(r, Math.max(0, started + (2 * SESSION_TTL_S + 2) * 1000 - Date.now())));
  const r0 = await Promise.race([run.done, Promise.resolve(undefined)]);
  t.is(r0, undefined, 'the apply is still running (waiting for slow to be healthy)');
  t.is(await lockSession(name), session, 'the same session holds the lock');
  t.truthy(
    await consulApi(`session/info/${session}`).then((x) => (Array.isArray(x) && x.length ? x : undefined)),
    'the session is alive',
  );
  const r = await run.done;
  t.is(r.code, 0, r.stdout + r.stderr);
  t.notRegex(r.stderr, /lost the lock/);
  t.true(Date.now() - started > 2 * SESSION_TTL_S * 1000, 'the apply did outlast two TTLs');
  t.is(await lockSession(name), undefined, 'released at the end');
});
