/**
 * Rolling updates on the real sandbox (h1–h3), through the CLI: health-gated batches; a broken version
 * (exits at once, or fails its healthcheck) with failure_action rollback leaves exactly the previous
 * version running, exit 1, and the output names the replica and why; pause stops the rollout. The
 * running-replica floor (replicas − parallelism) is checked by replaying the hosts' start/die events.
 */
import test from 'ava';
import { Labels } from '../../src/labels.js';
import {
  cleanup,
  containersOf,
  desiredFor,
  docker,
  eventually,
  uniqueStack,
  IMAGE,
  eventWindowStart,
} from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';
import { apiStack, containerEvents, runningCounts, runningIds, type ApiVersion } from './rollout-helpers.js';
import { runOnce } from '../helpers/sandbox.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

test.before(() => ensureBuilt());

const MAIN = ['h1', 'h2', 'h3'];

async function applyVersion(dir: string, name: string, v: ApiVersion) {
  writeFileSync(path.join(dir, 'compose.yaml'), apiStack(name, v));
  return runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
}

/**
 * What replica `name` on `host` answers, asked from a container on the same host and stack network — asked again for
 * up to 20 s while nothing answers: a replica put back by a rollback is started, not waited for, so its server may
 * still be starting when apply returns.
 */
async function answer(host: string, stack: string, name: string): Promise<string> {
  const ask = async () =>
    (
      await runOnce(docker(host), IMAGE(), ['sh', '-c', `timeout 5 wget -qO- http://${name}:8080/`], {
        NetworkMode: `${stack}_default`,
      })
    ).output.trim();
  return eventually(async () => (await ask()) || undefined, 20_000, `${name} on ${host} to answer`);
}

async function setUp(t: Parameters<typeof cleanup>[0], prefix: string, v1: ApiVersion) {
  const name = uniqueStack(prefix);
  const dir = writeDir({ 'compose.yaml': apiStack(name, v1), 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
  cleanup(t, desiredFor(name, [], 'socket'));
  const first = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(first.code, 0, first.stdout + first.stderr);
  const before = await runningIds(name, 'api');
  t.is(before.length, 3);
  return { name, dir, before };
}

test('a healthy update rolls one replica at a time, each healthy before the next; plan shows the policy', async (t) => {
  const { name, dir, before } = await setUp(t, 'ok', { body: 'v1' });
  writeFileSync(path.join(dir, 'compose.yaml'), apiStack(name, { body: 'v2', update: { order: 'stop-first' } }));
  const plan = await runStack(['plan', '-i', 'inventory.yaml'], dir);
  t.regex(
    plan.stdout,
    /rollout api: 3 replicas, 1 at a time, stop-first, each replica healthy, delay 0s; on failure pause/,
  );
  t.regex(plan.stdout, /batch 1: .*\n\s+batch 2: .*\n\s+batch 3: /);
  const since = await eventWindowStart();
  const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /rollout api: completed/);
  const after = await runningIds(name, 'api');
  t.is(after.length, 3);
  t.is(new Set(after.map((c) => c.hash)).size, 1);
  t.not(after[0].hash, before[0].hash);
  // no kept or temporary container is left
  t.deepEqual(
    [...(await containersOf(name)).keys()].filter((n) => /_(kept|next)$/.test(n)),
    [],
  );
  for (const c of after) t.is(await answer(c.host, name, c.name), 'v2');
  const counts = runningCounts(
    await containerEvents(name, since),
    before.map((c) => c.id),
    'api',
  );
  t.true(Math.min(...counts) >= 2, `running counts ${counts.join(',')}`);
});

for (const behaviour of ['exits', 'unhealthy'] as const) {
  test(`a version that ${behaviour === 'exits' ? 'exits at once' : 'fails its healthcheck'} with failure_action rollback: the old version answers, exit 1, the output names the replica and why`, async (t) => {
    const { name, dir, before } = await setUp(t, behaviour.slice(0, 2), { body: 'v1' });
    const since = await eventWindowStart();
    const r = await applyVersion(dir, name, {
      body: 'v2',
      behaviour,
      update: { failure_action: 'rollback', order: 'stop-first' },
    });
    t.is(r.code, 1, r.stdout + r.stderr);
    const why = behaviour === 'exits' ? /exited with code 3 before it was healthy/ : /unhealthy/;
    t.regex(r.stdout, /rollout api: rolled back/);
    t.regex(r.stdout, new RegExp(`replica ${name}-api-\\d on h\\d failed: ${name}-api-\\d_next: ${why.source}`));
    // exactly the previous version runs: the same hash on every replica, nothing else of the service
    const after = await runningIds(name, 'api');
    t.deepEqual(
      after.map((c) => c.hash),
      before.map(() => before[0].hash),
    );
    t.deepEqual(
      [...(await containersOf(name)).keys()].filter((n) => /_(kept|next)$/.test(n)),
      [],
    );
    for (const c of after) t.is(await answer(c.host, name, c.name), 'v1');
    const counts = runningCounts(
      await containerEvents(name, since),
      before.map((c) => c.id),
      'api',
    );
    t.true(Math.min(...counts) >= 2, `running counts ${counts.join(',')}`);
  });
}

test('failure_action pause with parallelism 2: the failed batch gets its old containers back, the rest is not touched, never below replicas − parallelism', async (t) => {
  const { name, dir, before } = await setUp(t, 'pa', { body: 'v1' });
  const since = await eventWindowStart();
  const r = await applyVersion(dir, name, {
    body: 'v2',
    behaviour: 'unhealthy',
    update: { parallelism: 2, failure_action: 'pause', order: 'stop-first' },
  });
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(r.stdout, /rollout api: paused/);
  const after = await runningIds(name, 'api');
  t.is(after.length, 3);
  t.true(after.every((c) => c.hash === before[0].hash));
  // the third replica was never stopped
  const events = await containerEvents(name, since);
  const untouched = before.find((b) => !events.some((e) => e.action === 'die' && (e as { id?: string }).id === b.id));
  t.truthy(untouched);
  const counts = runningCounts(
    events,
    before.map((c) => c.id),
    'api',
  );
  t.true(Math.min(...counts) >= 1, `running counts ${counts.join(',')}`);
  // a re-run with a good version completes
  const again = await applyVersion(dir, name, { body: 'v3', update: { parallelism: 2 } });
  t.is(again.code, 0, again.stdout + again.stderr);
  const final = await runningIds(name, 'api');
  t.is(final.length, 3);
  t.true(final.every((c) => c.hash !== before[0].hash));
  t.true(
    (await Promise.all(final.map((c) => docker(c.host).getContainer(c.id).inspect()))).every(
      (i) => i.Config.Labels[Labels.service] === 'api',
    ),
  );
});

test('stop-first, a new version whose start fails (its entrypoint does not exist): the old container runs again under its own name; a re-run converges', async (t) => {
  const { name, dir, before } = await setUp(t, 'sf', { body: 'v1' });
  const since = await eventWindowStart();
  // The rename of the old container to _kept runs beside the start of the new one (both after the stop).
  const broken = { body: 'v2', extra: '    entrypoint: ["/no/such/binary"]\n' };
  const r = await applyVersion(dir, name, { ...broken, update: { failure_action: 'pause', order: 'stop-first' } });
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(r.stdout, /rollout api: paused/);
  t.regex(r.stdout, new RegExp(`replica ${name}-api-\\d on h\\d failed: .*no/such/binary`));
  // the very same containers run, each under its own name, and nothing of the new version is left
  const after = await runningIds(name, 'api');
  t.deepEqual(after.map((c) => `${c.name} ${c.id}`).sort(), before.map((c) => `${c.name} ${c.id}`).sort());
  t.deepEqual(
    [...(await containersOf(name)).keys()].filter((n) => /_(kept|next)$/.test(n)),
    [],
  );
  for (const c of after) t.is(await answer(c.host, name, c.name), 'v1');
  // the failed replica's old container was stopped, renamed to _kept and back, and started again
  const events = await containerEvents(name, since);
  const renamed = events.filter((e) => e.action === 'rename').map((e) => (e as { id?: string }).id);
  t.true(
    before.some((b) => renamed.filter((id) => id === b.id).length === 2),
    'one old container renamed twice',
  );

  // The same broken file again: the same outcome, nothing left behind; then a good version rolls completely.
  const again = await applyVersion(dir, name, { ...broken, update: { failure_action: 'pause', order: 'stop-first' } });
  t.is(again.code, 1, again.stdout + again.stderr);
  t.deepEqual((await runningIds(name, 'api')).map((c) => c.id).sort(), before.map((c) => c.id).sort());
  const good = await applyVersion(dir, name, { body: 'v3', update: { order: 'stop-first' } });
  t.is(good.code, 0, good.stdout + good.stderr);
  const final = await runningIds(name, 'api');
  t.is(final.length, 3);
  t.true(final.every((c) => c.hash !== before[0].hash));
  for (const c of final) t.is(await answer(c.host, name, c.name), 'v3');
  t.deepEqual(
    [...(await containersOf(name)).keys()].filter((n) => /_(kept|next)$/.test(n)),
    [],
  );
});
