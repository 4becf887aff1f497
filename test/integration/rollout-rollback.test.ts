/**
 * rollback_config on the real sandbox (h1–h3), through the CLI: a rolled-back update puts its updated replicas
 * back start-first (the previous container renamed back, started and healthy before the new one stops), one
 * rollback batch at a time with the configured delay between them, and afterwards exactly the previous version
 * runs. The new version fails on one host only (a marker file in that host's copy of a named volume), so two
 * replicas have finished updating when the third fails. Without a healthcheck, a put-back replica counts as
 * back after running for rollback_config.monitor. A first SIGINT during a rollback lets it finish; a second
 * stops it, and an apply of the previous file converges. Checked by replaying the hosts' container events.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { Labels } from '../../src/labels.js';
import {
  cleanup,
  containersOf,
  desiredFor,
  docker,
  hostEvents,
  uniqueStack,
  IMAGE,
  eventWindowStart,
} from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, startStack, writeDir } from './cli-helpers.js';
import { apiStack, runningCounts, runningIds } from './rollout-helpers.js';
import { runOnce } from '../helpers/sandbox.js';

test.before(() => ensureBuilt());

const MAIN = ['h1', 'h2', 'h3'];
const DELAY_S = 3;

/** What replica `name` on `host` answers, asked from a container on the same host and stack network. */
async function answer(host: string, stack: string, name: string): Promise<string> {
  const r = await runOnce(docker(host), IMAGE(), ['sh', '-c', `timeout 5 wget -qO- http://${name}:8080/`], {
    NetworkMode: `${stack}_default`,
  });
  return r.output.trim();
}

interface Ev {
  host: string;
  ms: number;
  action: string;
  id: string;
  name: string;
  service?: string;
}

type StackFile = (name: string, body: string, failWhereMarked: boolean) => string;

/**
 * Applies v1 of an `api` service, writes v2 (which fails on one host only) and marks the host of the last
 * batch (from `stack plan`, which must show `planLines`); returns the batches in order and the v1 replicas.
 */
async function prepare(t: ExecutionContext, prefix: string, stackFile: StackFile, planLines: RegExp) {
  const name = uniqueStack(prefix);
  const dir = writeDir({
    'compose.yaml': stackFile(name, 'v1', false),
    'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)),
  });
  cleanup(t, desiredFor(name, [], 'socket'));
  const first = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(first.code, 0, first.stdout + first.stderr);
  const before = await runningIds(name, 'api');
  t.is(before.length, 3);

  writeFileSync(path.join(dir, 'compose.yaml'), stackFile(name, 'v2', true));
  const plan = await runStack(['plan', '-i', 'inventory.yaml'], dir);
  t.is(plan.code, 0, plan.stderr);
  t.regex(plan.stdout, planLines);
  // The batches, in order: the last one's host gets the marker, so the first two update and are then rolled back.
  const batches = [...plan.stdout.matchAll(/batch (\d): (\S+) \((h\d)\)/g)].map((m) => ({ name: m[2], host: m[3] }));
  t.is(batches.length, 3, plan.stdout);
  const [a, b, broken] = batches;
  const marked = await runOnce(docker(broken.host), IMAGE(), ['sh', '-c', 'touch /m/broken'], {
    Binds: [`${name}_marker:/m`],
  });
  t.is(marked.exitCode, 0, marked.output);
  return { name, dir, before, a, b, broken };
}

/** The stack's container events on h1–h3 since `since` (ms), in time order, with the full action (`health_status: healthy`). */
async function eventsSince(name: string, since: number): Promise<Ev[]> {
  return (await hostEvents(since, { type: ['container'], label: [`${Labels.stack}=${name}`] }))
    .map(({ host, event: e }) => ({
      host,
      ms: Number(e.timeNano) / 1e6,
      action: String(e.Action),
      id: e.Actor.ID,
      name: String(e.Actor.Attributes.name),
      service: e.Actor.Attributes[Labels.service],
    }))
    .sort((x, y) => x.ms - y.ms);
}

/** Exactly the v1 replicas run again (the same containers), nothing kept or temporary is left. */
async function previousRuns(t: ExecutionContext, name: string, before: { id: string; hash: string }[]) {
  const after = await runningIds(name, 'api');
  t.deepEqual(after.map((c) => c.id).sort(), before.map((c) => c.id).sort());
  t.true(after.every((c) => c.hash === before[0].hash));
  t.deepEqual(
    [...(await containersOf(name)).keys()].filter((n) => /_(kept|next)$/.test(n)),
    [],
  );
  return after;
}

/** prepare(), then apply v2: it fails on the marked host and is rolled back; returns the events to check. */
async function brokenOnLastHost(t: ExecutionContext, prefix: string, stackFile: StackFile, planLines: RegExp) {
  const { name, dir, before, a, b, broken } = await prepare(t, prefix, stackFile, planLines);
  const since = await eventWindowStart();
  const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(r.stdout, /rollout api: rolled back/);
  t.regex(r.stdout, new RegExp(`rolled back: ${a.name}, ${b.name}`));

  // Exactly the previous version runs: the old containers themselves, nothing kept or temporary left.
  const after = await previousRuns(t, name, before);
  const events = await eventsSince(name, since);
  const counts = runningCounts(
    events.map((e) => ({ ...e, time: e.ms, action: e.action.split(':')[0], hash: '' })),
    before.map((c) => c.id),
    'api',
  );
  const at = (pred: (e: Ev) => boolean, what: string) => {
    const e = events.find(pred);
    if (!e) throw new Error(`no event: ${what}\n${events.map((x) => `${x.host} ${x.action} ${x.name}`).join('\n')}`);
    return e.ms;
  };
  /** The new container of replica x: renamed to the replica's name by the update. */
  const freshOf = (x: { host: string; name: string }) =>
    events.find(
      (e) => e.host === x.host && e.action === 'rename' && e.name === x.name && !before.some((c) => c.id === e.id),
    )!.id;
  const oldOf = (x: { name: string }) => before.find((c) => c.name === x.name)!;
  return { name, r, a, b, broken, after, events, counts, at, freshOf, oldOf };
}

/** The httpd `api` with a healthcheck, start-first both ways, rollback one replica at a time DELAY_S apart. */
const startFirst: StackFile = (name, body, failWhereMarked) =>
  apiStack(name, {
    body,
    // Both versions mount the marker volume; only the new one refuses to start where the marker is.
    preamble: failWhereMarked ? `if [ -f /m/broken ]; then echo ${body} is broken here; exit 3; fi; ` : '',
    extra: '    volumes: ["marker:/m"]\n',
    volumes: 'volumes:\n  marker: {}\n',
    update: { order: 'start-first', failure_action: 'rollback' },
    rollback: { parallelism: 1, delay: `${DELAY_S}s`, order: 'start-first', failure_action: 'pause' },
  });
const START_FIRST_PLAN =
  /rollout api: 3 replicas, 1 at a time, start-first, each replica healthy, delay 0s; on failure rollback\n\s+rollback: 1 at a time, start-first, each replica healthy, delay 3s; on failure pause\n/;

test('rollback_config start-first with delay: never fewer than the replicas running, delay between rollback batches, then exactly the previous version runs', async (t) => {
  const { name, r, a, b, broken, after, counts, at, freshOf, oldOf } = await brokenOnLastHost(
    t,
    'rb',
    startFirst,
    START_FIRST_PLAN,
  );
  t.regex(
    r.stdout,
    new RegExp(
      `replica ${broken.name} on ${broken.host} failed: ${broken.name}_next: exited with code 3 before it was healthy`,
    ),
  );
  for (const c of after) t.is(await answer(c.host, name, c.name), 'v1');
  // Never fewer than 3 running replicas, update and rollback included.
  t.true(Math.min(...counts) >= 3, `running counts ${counts.join(',')}`);

  const ends: number[] = [];
  const starts: number[] = [];
  for (const x of [a, b]) {
    const old = oldOf(x).id;
    const fresh = freshOf(x);
    const stepAside = at(
      (e) => e.id === fresh && e.action === 'rename' && e.name === `${x.name}_next`,
      `${x.name}: the new one renamed aside`,
    );
    const oldStarted = at((e) => e.id === old && e.action === 'start', `${x.name}: the previous one started again`);
    const oldHealthy = at(
      (e) => e.id === old && e.action === 'health_status: healthy' && e.ms >= oldStarted,
      `${x.name}: the previous one healthy`,
    );
    const newDied = at((e) => e.id === fresh && e.action === 'die', `${x.name}: the new one stopped`);
    const newRemoved = at((e) => e.id === fresh && e.action === 'destroy', `${x.name}: the new one removed`);
    t.true(
      stepAside < oldStarted && oldStarted <= oldHealthy && oldHealthy < newDied && newDied < newRemoved,
      `${x.name}: rename aside, start previous, healthy, then stop and remove the new one`,
    );
    starts.push(stepAside);
    ends.push(newRemoved);
  }
  // Rollback batch 2 begins only after batch 1 ended, and at least the delay later (a bound stack sets, not a timing).
  t.true(starts[1] - ends[0] >= DELAY_S * 1000, `gap between rollback batches: ${Math.round(starts[1] - ends[0])} ms`);
});

test('rollback_config stop-first without a healthcheck: a put-back replica counts as back after running for rollback_config.monitor; never below replicas − 1', async (t) => {
  const MONITOR_S = 3;
  const stackFile = (name: string, body: string, failWhereMarked: boolean) => `name: ${name}
services:
  api:
    image: ${IMAGE()}
    command: ["sh", "-c", ${JSON.stringify(`${failWhereMarked ? 'if [ -f /m/broken ]; then exit 3; fi; ' : ''}trap 'exit 0' TERM; sleep 3600 & wait`)}]
    environment: { BODY: ${body} }
    stop_grace_period: 2s
    volumes: ["marker:/m"]
    deploy:
      replicas: 3
      placement:
        constraints: ["node.labels.pool == main"]
      update_config: { parallelism: 1, monitor: 1s, failure_action: rollback }
      rollback_config: { parallelism: 1, monitor: ${MONITOR_S}s }
volumes:
  marker: {}
`;
  const { r, a, b, broken, counts, at, freshOf, oldOf } = await brokenOnLastHost(
    t,
    'rbm',
    stackFile,
    /rollout api: 3 replicas, 1 at a time, stop-first, each replica healthy, or running 1s \(monitor\) if its image has no healthcheck, delay 0s; on failure rollback\n\s+rollback: 1 at a time, stop-first, each replica healthy, or running 3s \(monitor\) if its image has no healthcheck, delay 0s; on failure pause\n/,
  );
  t.regex(
    r.stdout,
    new RegExp(
      `replica ${broken.name} on ${broken.host} failed: ${broken.name}_next: exited with code 3 within the monitor period`,
    ),
  );
  t.true(Math.min(...counts) >= 2, `running counts ${counts.join(',')}`);
  // stop-first: the new one goes, then the previous one comes back; the next replica's rollback begins only
  // once the previous one of this batch has run for the monitor period (a bound stack sets, not a timing).
  const steps = [a, b].map((x) => {
    const fresh = freshOf(x);
    const newDied = at((e) => e.id === fresh && e.action === 'die', `${x.name}: the new one stopped`);
    const oldStarted = at(
      (e) => e.id === oldOf(x).id && e.action === 'start',
      `${x.name}: the previous one started again`,
    );
    t.true(newDied < oldStarted, `${x.name}: stop-first`);
    // The new one ran undisturbed until the rollback stopped it: its first kill (or die) is the rollback's first step.
    const firstOfRollback = at(
      (e) => e.id === fresh && (e.action === 'kill' || e.action === 'die'),
      `${x.name}: its rollback began`,
    );
    return { firstOfRollback, oldStarted };
  });
  t.true(
    steps[1].firstOfRollback - steps[0].oldStarted >= MONITOR_S * 1000,
    `from ${a.name} back to ${b.name}'s rollback: ${Math.round(steps[1].firstOfRollback - steps[0].oldStarted)} ms`,
  );
});

/** Starts `stack apply` of v2 and waits until its rollback has begun (its first rollback step is reported). */
async function applyUntilRollback(t: ExecutionContext, dir: string) {
  const run = startStack(['apply', '--yes', '--grace', '120', '-i', 'inventory.yaml'], dir);
  const deadline = Date.now() + 180_000;
  while (!/rollback api: /.test(run.stdout()) && Date.now() < deadline) {
    if (run.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.regex(run.stdout(), /rollback api: /, 'the rollback began');
  return run;
}

test('one SIGINT during a rollback lets it finish: exit 130, exactly the previous version runs', async (t) => {
  const { name, dir, before } = await prepare(t, 'rbi', startFirst, START_FIRST_PLAN);
  const run = await applyUntilRollback(t, dir);
  run.child.kill('SIGINT');
  const r = await run.done;
  t.is(r.code, 130, r.stdout + r.stderr);
  t.regex(r.stdout, /SIGINT: starting nothing new/);
  t.regex(r.stdout, /rollout api: rolled back/);
  t.regex(r.stderr, /interrupted: operations in flight finished/);
  await previousRuns(t, name, before);
});

test('two SIGINTs during a rollback stop it at once; applying the previous file again converges', async (t) => {
  const { name, dir, before } = await prepare(t, 'rbj', startFirst, START_FIRST_PLAN);
  const run = await applyUntilRollback(t, dir);
  run.child.kill('SIGINT');
  const deadline = Date.now() + 30_000;
  while (!/SIGINT: starting nothing new/.test(run.stdout()) && run.child.exitCode === null && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  run.child.kill('SIGINT');
  const r = await run.done;
  t.is(r.code, 130, r.stdout + r.stderr);
  // Whatever the stop left (a replica under NAME_next or NAME_kept), the next apply of the previous file resolves it.
  writeFileSync(path.join(dir, 'compose.yaml'), startFirst(name, 'v1', false));
  const again = await runStack(['apply', '--yes', '--lock-timeout', '0', '-i', 'inventory.yaml'], dir);
  t.is(again.code, 0, again.stdout + again.stderr);
  const after = await runningIds(name, 'api');
  const seen = async () =>
    [...(await containersOf(name)).entries()]
      .map(([n, c]) => `${n} on ${c.host}: ${c.info.State} (${c.info.Status})`)
      .join('\n');
  t.is(
    after.length,
    3,
    `running api replicas after the re-apply; the stack's containers:\n${await seen()}\nthe re-apply said:\n${again.stdout}${again.stderr}`,
  );
  t.true(
    after.every((c) => c.hash === before[0].hash),
    'every replica runs the previous version',
  );
  t.deepEqual(
    [...(await containersOf(name)).keys()].filter((n) => /_(kept|next)$/.test(n)),
    [],
  );
  for (const c of after) t.is(await answer(c.host, name, c.name), 'v1');
  const plan = await runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
  t.is(plan.code, 0, `no changes left:\n${plan.stdout}${plan.stderr}`);
});
