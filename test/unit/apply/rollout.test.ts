/** Failure policies of rolling updates on the executor, against a scripted cluster. */
import test from 'ava';
import { apply, type ApplyEvent } from '../../../src/apply/index.js';
import { reconcile } from '../../../src/plan/index.js';
import type { Plan } from '../../../src/plan/types.js';
import type { UpdateConfigSpec } from '../../../src/stack/types.js';
import { desired, observedEmpty, service, simulate } from '../plan/helpers.js';
import { ScriptedCluster, type Behaviour, type ScriptedContainer, type ScriptedOptions } from './scripted-client.js';

const update = (over: Partial<UpdateConfigSpec> = {}): UpdateConfigSpec => ({
  parallelism: 1,
  delayNs: 0,
  failureAction: 'pause',
  monitorNs: 2e7,
  maxFailureRatio: 0,
  order: 'stop-first',
  ...over,
});
const HEALTH = { test: ['CMD-SHELL', 'true'], intervalNs: 1e9, retries: 3 };

interface RollOptions {
  replicas?: number;
  /** false: no healthcheck in the file. */
  healthcheck?: boolean;
  rollback?: Partial<UpdateConfigSpec>;
  /** The image's HEALTHCHECK (Engine form), which the scripted daemon merges into containers created without one. */
  imageHealthcheck?: Record<string, unknown>;
  /** Changes the plan before it is applied (as a planner with other inputs would have). */
  tweak?: (plan: Plan) => void;
  writeFault?: ScriptedOptions['writeFault'];
}

async function roll(
  over: Partial<UpdateConfigSpec>,
  behaviour: (c: ScriptedContainer, newHash: string) => Behaviour,
  opts: RollOptions = {},
) {
  const api = (release: string) =>
    service('api', {
      environment: { RELEASE: release },
      ...(opts.healthcheck === false ? {} : { healthcheck: HEALTH }),
      deploy: { replicas: opts.replicas ?? 3, updateConfig: update(over), rollbackConfig: update(opts.rollback) },
    });
  const d1 = desired([api('v1')]);
  const observed = simulate(reconcile(d1, observedEmpty(d1)), observedEmpty(d1));
  const oldHash = Object.values(observed.hosts).flatMap((h) => h.containers)[0].configHash!;
  const plan = reconcile(desired([api('v2')]), observed);
  const newHash = plan.operations.find((o) => o.kind === 'container.create')!.params.body as {
    Labels: Record<string, string>;
  };
  const hash = Object.entries(newHash.Labels).find(([k]) => k.endsWith('config-hash'))![1];
  opts.tweak?.(plan);
  const cluster = ScriptedCluster.from(observed, (c) => behaviour(c, hash), {
    imageHealthcheck: opts.imageHealthcheck,
    writeFault: opts.writeFault,
  });
  const events: ApplyEvent[] = [];
  const times: number[] = [];
  const clients = new Map(d1.hosts.map((h) => [h.name, cluster.client(h.name)]));
  const res = await apply(plan, {
    clients,
    hostConcurrency: 4,
    globalConcurrency: 8,
    pollIntervalMs: 2,
    contents: () => Buffer.alloc(0),
    reporter: { event: (e) => (events.push(e), times.push(Date.now())) },
  });
  const names = [...cluster.containers.values()]
    .map((c) => `${c.host} ${c.name} ${c.hash === oldHash ? 'old' : 'new'} ${c.running ? 'running' : 'stopped'}`)
    .sort();
  return { plan, res, cluster, events, times, names, oldHash, newHash: hash };
}

// Replicas: app-api-1 on h1, app-api-2 on h2, app-api-3 on h3; batches go h1, h2, h3.
const failOnH2 = (c: ScriptedContainer, hash: string): Behaviour =>
  c.hash === hash && c.host === 'h2' ? 'unhealthy' : 'ok';

test('all healthy: every replica runs the new version, kept containers removed, never more than parallelism down', async (t) => {
  const { res, names, cluster } = await roll({ parallelism: 1 }, () => 'ok');
  t.true(res.ok);
  t.deepEqual(res.rollouts.api.outcome, 'completed');
  t.deepEqual(names, ['h1 app-api-1 new running', 'h2 app-api-2 new running', 'h3 app-api-3 new running']);
  t.true(Math.min(...cluster.samples.get('api')!) >= 2);
});

test('rollback: the failed replica and the finished batch go back to the kept containers; the last batch never starts', async (t) => {
  const { res, names, cluster, events } = await roll({ failureAction: 'rollback' }, failOnH2);
  t.false(res.ok);
  const r = res.rollouts.api;
  t.is(r.outcome, 'rolled-back');
  t.deepEqual(r.rolledBack, ['app-api-1']);
  t.deepEqual(r.updated, []);
  t.is(r.failures.length, 1);
  t.like(r.failures[0], {
    container: 'app-api-2',
    host: 'h2',
    resource: 'service:api:2',
    op: 'h2 wait healthy app-api-2_next',
  });
  t.regex(r.failures[0].error, /unhealthy \(last check exit 1: wget: can not connect\)/);
  // exactly the previous version runs, nothing left over
  t.deepEqual(names, ['h1 app-api-1 old running', 'h2 app-api-2 old running', 'h3 app-api-3 old running']);
  t.false(cluster.log.includes('h3 stop app-api-3'));
  t.true(Math.min(...cluster.samples.get('api')!) >= 2, String(cluster.samples.get('api')));
  t.true(events.some((e) => e.type === 'rollback'));
  t.true(
    events.some(
      (e) => e.type === 'op-skipped' && /rollout of api rolled back after app-api-2 on h2 failed/.test(e.reason),
    ),
  );
});

test('pause: the failed batch gets its kept container back, the finished batch stays new, the rest is not touched', async (t) => {
  const { res, names } = await roll({ failureAction: 'pause' }, failOnH2);
  t.false(res.ok);
  t.is(res.rollouts.api.outcome, 'paused');
  t.deepEqual(res.rollouts.api.updated, ['app-api-1']);
  t.deepEqual(names, [
    'h1 app-api-1 new running',
    'h1 app-api-1_kept old stopped',
    'h2 app-api-2 old running',
    'h3 app-api-3 old running',
  ]);
});

test('continue: the failed replica is put back and the rollout goes on', async (t) => {
  const { res, names } = await roll({ failureAction: 'continue' }, failOnH2);
  t.false(res.ok);
  t.is(res.rollouts.api.outcome, 'completed-with-failures');
  t.deepEqual(res.rollouts.api.updated, ['app-api-1', 'app-api-3']);
  t.deepEqual(names, ['h1 app-api-1 new running', 'h2 app-api-2 old running', 'h3 app-api-3 new running']);
});

const PORT_TAKEN = '(HTTP code 500) driver failed programming external connectivity: port 8080 is already allocated';
const pausedOnH2 = [
  'h1 app-api-1 new running',
  'h1 app-api-1_kept old stopped',
  'h2 app-api-2 old running',
  'h3 app-api-3 old running',
];

test("stop-first: the old container's rename runs beside the new one's start; the start fails, the compensation waits for the rename in flight, and the old container runs again under its name", async (t) => {
  const { res, names, cluster, events } = await roll({ failureAction: 'pause' }, () => 'ok', {
    writeFault: (host, what) =>
      host !== 'h2'
        ? undefined
        : what === 'start app-api-2_next'
          ? { error: PORT_TAKEN }
          : what === 'rename app-api-2 app-api-2_kept'
            ? { delayMs: 40 }
            : undefined,
  });
  t.false(res.ok);
  t.is(res.rollouts.api.outcome, 'paused');
  t.deepEqual(
    res.failures.map((f) => f.op),
    ['h2 start app-api-2_next'],
  );
  // side by side: the start began (and failed) while the rename was still in flight
  const at = (type: string, id: string) => events.findIndex((e) => e.type === type && 'op' in e && e.op.id === id);
  t.true(at('op-start', 'h2 start app-api-2_next') < at('op-done', 'h2 rename app-api-2'));
  t.true(at('op-failed', 'h2 start app-api-2_next') < at('op-done', 'h2 rename app-api-2'));
  // the undo steps ran after the rename settled: renamed back, then started
  const log = cluster.log.filter((l) => l.startsWith('h2 '));
  t.deepEqual(log.slice(log.indexOf('h2 rename app-api-2 app-api-2_kept')), [
    'h2 rename app-api-2 app-api-2_kept',
    'h2 remove app-api-2_next',
    'h2 rename app-api-2_kept app-api-2',
    'h2 start app-api-2',
  ]);
  t.deepEqual(names, pausedOnH2);
});

test('an op of a replace group being put back does not start: the compensation reads the final state', async (t) => {
  // (continue: the rollout itself does not stop, so nothing but the group's compensation refuses the rename.)
  // The old container's rename made to wait for the start to settle (whatever its outcome): when the start fails,
  // the group's compensation has begun and the rename is refused, so the old container keeps its name.
  const keepAfterStart = (plan: Plan) => {
    plan.operations = plan.operations.map((op) =>
      op.id === 'h2 rename app-api-2' ? { ...op, after: [...(op.after ?? []), 'h2 start app-api-2_next'] } : op,
    );
  };
  const { res, names, cluster, events } = await roll({ failureAction: 'continue' }, () => 'ok', {
    tweak: keepAfterStart,
    writeFault: (host, what) => (host === 'h2' && what === 'start app-api-2_next' ? { error: PORT_TAKEN } : undefined),
  });
  t.false(res.ok);
  t.true(
    events.some(
      (e) =>
        e.type === 'op-skipped' &&
        e.op.id === 'h2 rename app-api-2' &&
        e.reason === 'its replace group is being put back',
    ),
  );
  t.false(cluster.log.includes('h2 rename app-api-2 app-api-2_kept'));
  t.true(cluster.log.includes('h2 start app-api-2'));
  // continue: the rollout goes on past the replica put back
  t.deepEqual(names, ['h1 app-api-1 new running', 'h2 app-api-2 old running', 'h3 app-api-3 new running']);
});

test('max_failure_ratio tolerates failures up to the ratio before the failure action applies', async (t) => {
  const tolerated = await roll({ failureAction: 'rollback', maxFailureRatio: 0.34 }, failOnH2);
  t.is(tolerated.res.rollouts.api.outcome, 'completed-with-failures');
  t.deepEqual(tolerated.names, ['h1 app-api-1 new running', 'h2 app-api-2 old running', 'h3 app-api-3 new running']);
  const exceeded = await roll({ failureAction: 'rollback', maxFailureRatio: 0.34 }, (c, hash) =>
    c.hash === hash && c.host !== 'h1' ? 'unhealthy' : 'ok',
  );
  t.is(exceeded.res.rollouts.api.outcome, 'rolled-back');
  t.deepEqual(exceeded.names, ['h1 app-api-1 old running', 'h2 app-api-2 old running', 'h3 app-api-3 old running']);
});

test('without a healthcheck, a new container that exits within monitor fails its replica', async (t) => {
  const { res, names } = await roll(
    { failureAction: 'rollback' },
    (c, hash) => (c.hash === hash && c.host === 'h2' ? 'exits' : 'ok'),
    { healthcheck: false },
  );
  t.is(res.rollouts.api.outcome, 'rolled-back');
  t.regex(res.rollouts.api.failures[0].error, /app-api-2_next: exited with code 1 within the monitor period/);
  t.deepEqual(names, ['h1 app-api-1 old running', 'h2 app-api-2 old running', 'h3 app-api-3 old running']);
});

test('parallelism 2 with rollback: a failure in the first batch rolls back its sibling too; at most 2 down at once', async (t) => {
  const { res, names, cluster } = await roll({ parallelism: 2, failureAction: 'rollback' }, failOnH2, { replicas: 4 });
  t.is(res.rollouts.api.outcome, 'rolled-back');
  t.true(
    names.every((n) => n.endsWith('old running')),
    names.join('\n'),
  );
  t.is(names.length, 4);
  t.true(Math.min(...cluster.samples.get('api')!) >= 2, String(cluster.samples.get('api')));
});

test('start-first: the old container runs until the new one is ready, so no replica is ever down', async (t) => {
  const { res, cluster } = await roll({ order: 'start-first', failureAction: 'rollback' }, failOnH2);
  t.is(res.rollouts.api.outcome, 'rolled-back');
  // the rollback is stop-first (rollback_config's default), so one replica may be down while it is put back
  const samples = cluster.samples.get('api')!;
  t.true(Math.min(...samples) >= 2, String(samples));
});

// h1 and h2 update; h3's new version fails: two replicas to put back.
const failOnH3 = (c: ScriptedContainer, hash: string): Behaviour =>
  c.hash === hash && c.host === 'h3' ? 'unhealthy' : 'ok';

test('rollback_config start-first: the kept container is back and healthy before the new one stops, so the service never drops below its replicas', async (t) => {
  const { res, cluster, names } = await roll({ order: 'start-first', failureAction: 'rollback' }, failOnH3, {
    rollback: { order: 'start-first' },
  });
  t.is(res.rollouts.api.outcome, 'rolled-back');
  t.deepEqual(res.rollouts.api.rolledBack, ['app-api-1', 'app-api-2']);
  t.deepEqual(names, ['h1 app-api-1 old running', 'h2 app-api-2 old running', 'h3 app-api-3 old running']);
  const samples = cluster.samples.get('api')!;
  t.true(Math.min(...samples) >= 3, String(samples));
  for (const host of ['h1', 'h2']) {
    const n = `app-api-${host.slice(1)}`;
    const at = (line: string) => cluster.log.indexOf(`${host} ${line}`);
    t.true(at(`rename ${n} ${n}_next`) < at(`rename ${n}_kept ${n}`), host);
    t.true(at(`start ${n}`) < at(`stop ${n}_next`), `${host}: the previous one starts before the new one stops`);
    t.true(at(`stop ${n}_next`) < at(`remove ${n}_next`), host);
  }
});

test('rollback_config delay and parallelism 1: one replica put back at a time, the next batch at least delay after the previous one ended', async (t) => {
  const { res, events, times } = await roll({ failureAction: 'rollback' }, failOnH3, { rollback: { delayNs: 150e6 } });
  t.is(res.rollouts.api.outcome, 'rolled-back');
  const steps = events
    .map((e, i) => ({ e, t: times[i] }))
    .filter((x): x is { e: Extract<ApplyEvent, { type: 'rollback' }>; t: number } => x.e.type === 'rollback');
  const firstOf = (host: string) => steps.findIndex((x) => x.e.op.host === host);
  const lastOf = (host: string) => steps.findLastIndex((x) => x.e.op.host === host);
  // batches do not overlap: h1's replica is back before h2's starts
  t.true(lastOf('h1') < firstOf('h2'), steps.map((x) => x.e.op.id).join('\n'));
  t.true(steps[firstOf('h2')].t - steps[lastOf('h1')].t >= 150);
});

test('rollback_config failure_action pause: a replica that cannot be put back stops the rest; continue goes on', async (t) => {
  // The previous version fails its healthcheck on h1 once it is started again by the rollback.
  const oldBrokenOnH1 = (c: ScriptedContainer, hash: string): Behaviour =>
    c.hash === hash
      ? c.host === 'h3'
        ? 'unhealthy'
        : 'ok'
      : c.host === 'h1' && c.name === 'app-api-1'
        ? 'unhealthy'
        : 'ok';
  const paused = await roll({ failureAction: 'rollback' }, oldBrokenOnH1, { rollback: { failureAction: 'pause' } });
  t.is(paused.res.rollouts.api.outcome, 'rollback-incomplete', 'a put-back failed: not "the previous version runs"');
  t.deepEqual(paused.res.rollouts.api.rolledBack, []);
  t.is(paused.res.rollouts.api.rollbackErrors.length, 1);
  t.regex(paused.res.rollouts.api.rollbackErrors[0].op, /^h1 rollback: wait healthy app-api-1$/);
  t.true(paused.names.includes('h2 app-api-2 new running'), paused.names.join('\n'));
  // rollback_config.max_failure_ratio 0.5 of 3 replicas tolerates one failed put-back before pause applies.
  const tolerated = await roll({ failureAction: 'rollback' }, oldBrokenOnH1, {
    rollback: { failureAction: 'pause', maxFailureRatio: 0.5 },
  });
  t.deepEqual(tolerated.res.rollouts.api.rolledBack, ['app-api-2']);
  t.true(tolerated.names.includes('h2 app-api-2 old running'), tolerated.names.join('\n'));
  const continued = await roll({ failureAction: 'rollback' }, oldBrokenOnH1, {
    rollback: { failureAction: 'continue' },
  });
  t.deepEqual(continued.res.rollouts.api.rolledBack, ['app-api-2']);
  t.is(continued.res.rollouts.api.outcome, 'rollback-incomplete');
  t.true(continued.names.includes('h2 app-api-2 old running'), continued.names.join('\n'));
});

// The image's HEALTHCHECK, as the daemon reports it in Config.Healthcheck (nanoseconds).
const IMAGE_HEALTH = { Test: ['CMD-SHELL', 'test -f /tmp/ok'], Interval: 1e9, Timeout: 2e9, Retries: 2 };
const waitsDone = (events: ApplyEvent[]) =>
  events
    .flatMap((e) => (e.type === 'op-done' && e.op.kind === 'container.wait-ready' ? [`${e.op.id}: ${e.detail}`] : []))
    .sort();

test('no healthcheck in the file, one in the image: each new container is waited healthy (decided from its inspect), and the event says so', async (t) => {
  const { plan, res, events, names } = await roll({}, () => 'ok', {
    healthcheck: false,
    imageHealthcheck: IMAGE_HEALTH,
  });
  t.is(plan.rollouts[0].gate, 'healthy-or-running');
  t.true(res.ok);
  t.is(res.rollouts.api.outcome, 'completed');
  t.deepEqual(
    waitsDone(events),
    [1, 2, 3].map((i) => `h${i} wait healthy or running app-api-${i}_next: healthy (its image's healthcheck)`),
  );
  t.deepEqual(names, ['h1 app-api-1 new running', 'h2 app-api-2 new running', 'h3 app-api-3 new running']);
});

test('no healthcheck in the file, none in the image (or NONE): each new container is waited running for monitor', async (t) => {
  for (const image of [undefined, { Test: ['NONE'] }]) {
    const { res, events } = await roll({}, () => 'ok', { healthcheck: false, imageHealthcheck: image });
    t.is(res.rollouts.api.outcome, 'completed');
    t.deepEqual(
      waitsDone(events),
      [1, 2, 3].map(
        (i) => `h${i} wait healthy or running app-api-${i}_next: running for 20 ms (monitor; no healthcheck)`,
      ),
    );
  }
});

test('an image healthcheck that fails on the new version: rollback, and the failure names the replica and "unhealthy"', async (t) => {
  const { res, names } = await roll({ failureAction: 'rollback' }, failOnH2, {
    healthcheck: false,
    imageHealthcheck: IMAGE_HEALTH,
  });
  t.false(res.ok);
  t.is(res.rollouts.api.outcome, 'rolled-back');
  t.deepEqual(res.rollouts.api.rolledBack, ['app-api-1']);
  t.like(res.rollouts.api.failures[0], {
    container: 'app-api-2',
    host: 'h2',
    op: 'h2 wait healthy or running app-api-2_next',
  });
  t.regex(
    res.rollouts.api.failures[0].error,
    /^app-api-2_next: unhealthy \(last check exit 1: wget: can not connect\)$/,
  );
  t.deepEqual(names, ['h1 app-api-1 old running', 'h2 app-api-2 old running', 'h3 app-api-3 old running']);
});

test("a new container never healthy within the wait's time limit: its replica fails with a reason saying it timed out, and the rollout rolls back", async (t) => {
  const neverHealthyOnH2 = (c: ScriptedContainer, hash: string): Behaviour =>
    c.hash === hash && c.host === 'h2' ? 'starting' : 'ok';
  // The planner's limit comes from the healthcheck's timings (at least 30 s); a short one keeps the test short.
  const short = (plan: Plan) => {
    // Plan operations are final (frozen): the tweak swaps in changed copies.
    plan.operations = plan.operations.map((op) =>
      op.kind === 'container.wait-healthy' ? { ...op, params: { ...op.params, timeoutMs: 300 } } : op,
    );
  };
  const { res, names, cluster } = await roll({ failureAction: 'rollback' }, neverHealthyOnH2, { tweak: short });
  t.false(res.ok);
  t.is(res.rollouts.api.outcome, 'rolled-back');
  t.is(res.rollouts.api.failures.length, 1);
  t.like(res.rollouts.api.failures[0], { container: 'app-api-2', host: 'h2', op: 'h2 wait healthy app-api-2_next' });
  t.is(res.rollouts.api.failures[0].error, 'app-api-2_next: timed out after 300 ms (never healthy: health starting)');
  t.deepEqual(
    res.failures.map((f) => f.op),
    ['h2 wait healthy app-api-2_next'],
  );
  // the previous version runs everywhere; the third replica was never touched
  t.deepEqual(names, ['h1 app-api-1 old running', 'h2 app-api-2 old running', 'h3 app-api-3 old running']);
  t.false(cluster.log.includes('h3 stop app-api-3'));
});

test("rollout DAG order: services without a dependency between them roll at the same time; one with depends_on starts its new containers only once the dependency's are healthy", async (t) => {
  const svc = (name: string, release: string, over: Parameters<typeof service>[1] = {}) =>
    service(name, {
      environment: { RELEASE: release },
      healthcheck: HEALTH,
      ...over,
      deploy: { replicas: 2, updateConfig: update(), rollbackConfig: update() },
    });
  const needsA = { dependsOn: { a: { condition: 'service_healthy' as const, required: true, restart: false } } };
  const version = (release: string) => desired([svc('a', release), svc('b', release), svc('c', release, needsA)]);
  const d1 = version('v1');
  const observed = simulate(reconcile(d1, observedEmpty(d1)), observedEmpty(d1));
  const plan = reconcile(version('v2'), observed);
  t.deepEqual(
    plan.rollouts.map((r) => r.service),
    ['a', 'b', 'c'],
  );
  const ops = (service: string, kind: string) =>
    plan.operations.filter((o) => o.rollout === service && o.kind === kind);
  // In the plan: a and b share no edge; each new c container's start depends on every wait healthy of a.
  const aWaits = ops('a', 'container.wait-healthy').map((o) => o.id);
  t.is(aWaits.length, 2);
  for (const start of ops('c', 'container.start'))
    t.deepEqual(
      aWaits.filter((w) => start.deps.includes(w)),
      aWaits,
      start.id,
    );
  const reaches = (from: string, to: string, seen = new Set<string>()): boolean => {
    if (from === to) return true;
    if (seen.has(from)) return false;
    seen.add(from);
    const op = plan.operations.find((o) => o.id === from)!;
    return [...op.deps, ...(op.after ?? [])].some((x) => reaches(x, to, seen));
  };
  for (const x of plan.operations.filter((o) => o.rollout === 'b'))
    t.false(
      aWaits.some((w) => reaches(x.id, w)),
      `${x.id} waits for nothing of a`,
    );

  // Applied: a's and b's rollouts overlap; c's new containers start after a's are healthy.
  const cluster = ScriptedCluster.from(observed);
  const events: ApplyEvent[] = [];
  const clients = new Map(d1.hosts.map((h) => [h.name, cluster.client(h.name)]));
  const res = await apply(plan, {
    clients,
    hostConcurrency: 4,
    globalConcurrency: 8,
    pollIntervalMs: 2,
    contents: () => Buffer.alloc(0),
    reporter: { event: (e) => events.push(e) },
  });
  t.true(res.ok);
  t.deepEqual(
    Object.values(res.rollouts)
      .map((r) => `${r.service} ${r.outcome}`)
      .sort(),
    ['a completed', 'b completed', 'c completed'],
  );
  const at = (type: ApplyEvent['type'], id: (x: string) => boolean) =>
    events.flatMap((e, i) => (e.type === type && 'op' in e && id(e.op.id) ? [i] : []));
  const span = (service: string) => {
    const mine = events.flatMap((e, i) =>
      (e.type === 'op-start' || e.type === 'op-done') &&
      plan.operations.find((o) => o.id === e.op.id)?.rollout === service
        ? [i]
        : [],
    );
    return { first: Math.min(...mine), last: Math.max(...mine) };
  };
  const [a, b] = [span('a'), span('b')];
  t.true(a.first < b.last && b.first < a.last, `a [${a.first}, ${a.last}] and b [${b.first}, ${b.last}] overlap`);
  const aHealthy = Math.max(...at('op-done', (id) => aWaits.includes(id)));
  const cStarts = at('op-start', (id) => ops('c', 'container.start').some((o) => o.id === id));
  t.is(cStarts.length, 2);
  t.true(
    cStarts.every((i) => i > aHealthy),
    `c's starts ${cStarts.join(',')} after a's last healthy ${aHealthy}`,
  );
  // b rolled before a finished (nothing of b waited for a)
  t.true(b.first < aHealthy);
});
