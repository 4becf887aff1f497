/** Rolling-update plans: batches, order, the port-conflict fallback; golden texts and structure. */
import test from 'ava';
import { reconcile, planText } from '../../../src/plan/index.js';
import { DRAIN_MS } from '../../../src/plan/rollout/types.js';
import { interleaveByHost } from '../../../src/plan/rollout/batches.js';
import type { UpdateConfigSpec } from '../../../src/stack/types.js';
import { desired, observedEmpty, paramsOf, service, simulate } from './helpers.js';
import { goldenPlan } from './golden.js';

const update = (over: Partial<UpdateConfigSpec> = {}): UpdateConfigSpec => ({
  parallelism: 1,
  delayNs: 0,
  failureAction: 'pause',
  monitorNs: 5e9,
  maxFailureRatio: 0,
  order: 'stop-first',
  ...over,
});

function rollout(
  over: Partial<UpdateConfigSpec>,
  extra: Parameters<typeof service>[1] = {},
  replicas = 4,
  back: Partial<UpdateConfigSpec> = {},
) {
  const api = (release: string) =>
    service('api', {
      environment: { RELEASE: release },
      ...extra,
      deploy: { replicas, updateConfig: update(over), rollbackConfig: update(back) },
    });
  const d1 = desired([api('v1')]);
  const o = simulate(reconcile(d1, observedEmpty(d1)), observedEmpty(d1));
  return { plan: reconcile(desired([api('v2')]), o), observed: o, d2: desired([api('v2')]) };
}

test('parallelism 1, stop-first: one replica per batch, the old one stopped and kept until the rollout completes', (t) => {
  const { plan, observed, d2 } = rollout({ parallelism: 1 });
  goldenPlan(t, 'rollout-p1-stop-first', plan, { operations: true });
  const r = plan.rollouts[0];
  t.is(r.batches.length, 4);
  // no healthcheck in the file: the image's, if it has one, decides at apply time
  t.is(r.gate, 'healthy-or-running');
  // batches alternate hosts rather than emptying one host first
  t.deepEqual(
    r.batches.map((b) => b[0].host),
    ['h1', 'h2', 'h3', 'h1'],
  );
  // the stop of batch 2 waits for the barrier that waits for batch 1's last op, whatever its outcome
  const barrier = plan.operations.find((o) => o.kind === 'rollout.barrier' && o.id.endsWith('batch 2'))!;
  t.deepEqual(barrier.after, [`h1 rename ${r.batches[0][0].name}_next`]);
  t.true(plan.operations.some((o) => o.kind === 'container.stop' && o.deps.includes(barrier.id)));
  // kept containers go only after the final barrier
  const removals = plan.operations.filter(
    (o) => o.kind === 'container.remove' && String(o.params.name).endsWith('_kept'),
  );
  t.is(removals.length, 4);
  t.true(removals.every((o) => o.deps.length === 1 && o.deps[0].endsWith('rollout api complete')));
  t.deepEqual(reconcile(d2, simulate(plan, observed)).operations, []);
});

test("stop-first: the old container's rename and the new one's start both follow the stop, side by side; the final rename waits for both", (t) => {
  const { plan } = rollout({ parallelism: 1 }, {}, 3);
  const byId = new Map(plan.operations.map((o) => [o.id, o]));
  for (const host of ['h1', 'h2', 'h3']) {
    const n = `app-api-${host.slice(1)}`;
    const stop = byId.get(`${host} stop ${n}`)!;
    const keep = byId.get(`${host} rename ${n}`)!;
    const start = byId.get(`${host} start ${n}_next`)!;
    const final = byId.get(`${host} rename ${n}_next`)!;
    t.like(keep.params, { name: n, newName: `${n}_kept` });
    t.deepEqual(keep.deps, [stop.id]);
    t.deepEqual(start.deps, [stop.id], 'the start does not wait for the rename: the new container is named _next');
    t.like(start.params, { name: `${n}_next` });
    t.like(final.params, { name: `${n}_next`, newName: n });
    t.true(final.deps.includes(keep.id));
    t.true(final.deps.includes(`${host} wait healthy or running ${n}_next`));
    // the create never used the final name either
    t.like(byId.get(`${host} create ${n}_next`)?.params, { name: `${n}_next` });
  }
  // start-first is unchanged: the old container is stopped and renamed only once the new one is ready
  const sf = rollout({ parallelism: 1, order: 'start-first' }, {}, 3).plan;
  const keep = sf.operations.find((o) => o.id === 'h1 rename app-api-1')!;
  t.deepEqual(keep.deps, ['h1 stop app-api-1']);
});

test('parallelism 2, start-first with a healthcheck: batches of two on different hosts, the new one healthy before the old one stops', (t) => {
  const { plan } = rollout(
    { parallelism: 2, order: 'start-first', delayNs: 2e9 },
    { healthcheck: { test: ['CMD-SHELL', 'true'], intervalNs: 1e9, retries: 3 } },
  );
  goldenPlan(t, 'rollout-p2-start-first', plan, { operations: true });
  const r = plan.rollouts[0];
  t.is(r.order, 'start-first');
  t.is(r.gate, 'healthy');
  t.deepEqual(
    r.batches.map((b) => b.map((x) => x.host)),
    [
      ['h1', 'h2'],
      ['h3', 'h1'],
    ],
  );
  // The new one joins the service's names only once healthy; the old one leaves them (after a settle) before it stops.
  const name = r.batches[0][0].name;
  const op = (id: string) => plan.operations.find((o) => o.id === id)!;
  const create = op(`h1 create ${name}_next`);
  t.deepEqual(paramsOf(create).body.NetworkingConfig.EndpointsConfig.app_default.Aliases, []);
  t.deepEqual(op(`h1 disconnect ${name}_next app_default`).deps, [`h1 wait healthy ${name}_next`]);
  const admit = op(`h1 connect ${name}_next app_default`);
  t.deepEqual(admit.deps, [`h1 disconnect ${name}_next app_default`]);
  t.deepEqual(paramsOf(admit).body.EndpointConfig.Aliases, ['api']);
  t.deepEqual(op(`h1 settle ${name}_next`).deps, [admit.id]);
  t.is(paramsOf(op(`h1 settle ${name}_next`)).delayMs, DRAIN_MS);
  t.deepEqual(op(`h1 disconnect ${name} app_default`).deps, [`h1 settle ${name}_next`]);
  t.deepEqual(op(`h1 stop ${name}`).deps, [`h1 disconnect ${name} app_default`]);
  // A failure after the old one left the names puts it back in them before it starts again.
  const undo = plan.compensations
    .find((c) => c.group === create.group)!
    .ops.map((o) => `${o.kind} ${paramsOf(o).name ?? paramsOf(o).container} if ${o.ifDone}`);
  t.deepEqual(undo, [
    `container.remove ${name}_next if h1 create ${name}_next`,
    `container.rename ${name}_kept if h1 rename ${name}`,
    `network.connect ${name} if h1 disconnect ${name} app_default`,
    `container.start ${name} if h1 stop ${name}`,
  ]);
  t.is(paramsOf(plan.operations.find((o) => o.id.endsWith('batch 2'))!).delayMs, 2000);
  t.deepEqual(plan.diagnostics, []);
});

test('a start-first replace interrupted after the old replica left the network and stopped: the next plan, list only, puts it back and starts it', (t) => {
  const api = (release: string) =>
    service('api', {
      environment: { RELEASE: release },
      deploy: { replicas: 1, updateConfig: update({ order: 'start-first' }), rollbackConfig: update() },
    });
  const d1 = desired([api('v1')]);
  const o1 = simulate(reconcile(d1, observedEmpty(d1)), observedEmpty(d1));
  const update2 = reconcile(desired([api('v2')]), o1);
  const upTo = update2.operations.findIndex((o) => o.id === 'h1 stop app-api-1');
  const interrupted = simulate({ ...update2, operations: update2.operations.slice(0, upTo + 1) }, o1);
  const h1 = interrupted.hosts.h1.containers;
  t.deepEqual(h1.map((c) => `${c.name} ${c.state} [${c.networks.join(',')}]`).sort(), [
    'app-api-1 exited []',
    'app-api-1_next running [app_default]',
  ]);
  const again = reconcile(d1, interrupted);
  t.false(interrupted.refreshed);
  t.deepEqual(
    again.operations.map((o) => `${o.id}: ${o.cause}`),
    [
      'h1 connect app-api-1 app_default: disconnected by an interrupted run',
      'h1 start app-api-1: stopped by an interrupted run',
      'h1 stop app-api-1_next: left over from an interrupted replace',
      'h1 remove app-api-1_next: left over from an interrupted replace',
    ],
  );
  t.deepEqual(reconcile(d1, simulate(again, interrupted)).operations, []);
});

test('start-first with a published host port falls back to stop-first, and the plan says so', (t) => {
  const { plan } = rollout(
    { order: 'start-first', failureAction: 'rollback', maxFailureRatio: 0.5 },
    { ports: [{ target: 80, published: '8080', protocol: 'tcp', mode: 'host' }] },
    2,
  );
  goldenPlan(t, 'rollout-port-fallback', plan);
  t.is(plan.rollouts[0].order, 'stop-first');
  t.is(plan.rollouts[0].maxFailures, 1);
  t.is(plan.diagnostics.length, 1);
  t.is(plan.diagnostics[0].severity, 'warning');
  t.regex(plan.diagnostics[0].summary, /start-first .* host port 8080\/tcp .* using stop-first/);
  t.is(plan.diagnostics[0].where?.path, 'services.api.deploy.update_config.order');
});

test('every replica has a compensation that undoes only what succeeded, and rollback steps that restart the kept container', (t) => {
  const { plan } = rollout({ failureAction: 'rollback' }, {}, 2);
  const r = plan.rollouts[0];
  for (const x of r.batches.flat()) {
    const c = plan.compensations.find((k) => k.group === x.group)!;
    t.deepEqual(
      c.ops.map((o) => [o.kind, paramsOf(o).name, o.ifDone]),
      [
        ['container.remove', `${x.name}_next`, `${x.host} create ${x.name}_next`],
        ['container.rename', `${x.name}_kept`, `${x.host} rename ${x.name}`],
        ['container.start', x.name, `${x.host} stop ${x.name}`],
      ],
    );
    t.deepEqual(
      x.rollback.map((o) => `${o.kind} ${paramsOf(o).name}`),
      [
        `container.stop ${x.name}`,
        `container.remove ${x.name}`,
        `container.rename ${x.name}_kept`,
        `container.start ${x.name}`,
        `container.wait-ready ${x.name}`,
      ],
    );
  }
});

const HEALTH = { test: ['CMD-SHELL', 'true'], intervalNs: 1e9, retries: 3 };

test('rollback_config start-first: the kept container is renamed back, started and waited healthy before the new one is stopped and removed', (t) => {
  const { plan } = rollout({ failureAction: 'rollback' }, { healthcheck: HEALTH }, 3, {
    parallelism: 2,
    delayNs: 3e9,
    order: 'start-first',
    failureAction: 'continue',
    monitorNs: 7e9,
  });
  const r = plan.rollouts[0];
  t.like(r.rollback, {
    parallelism: 2,
    delayMs: 3000,
    order: 'start-first',
    gate: 'healthy',
    monitorMs: 7000,
    failureAction: 'continue',
  });
  t.true(r.rollback.timeoutMs > 0);
  for (const x of r.batches.flat()) {
    t.deepEqual(
      x.rollback.map((o) => [o.kind, paramsOf(o).name, paramsOf(o).newName, o.write]),
      [
        ['container.rename', x.name, `${x.name}_next`, true],
        ['container.rename', `${x.name}_kept`, x.name, true],
        ['container.start', x.name, undefined, true],
        ['container.wait-healthy', x.name, undefined, false],
        ['network.disconnect', undefined, undefined, true],
        ['container.stop', `${x.name}_next`, undefined, true],
        ['container.remove', `${x.name}_next`, undefined, true],
      ],
    );
    t.true(x.rollback.every((o) => o.host === x.host && o.resource === x.resource && o.deps.length === 0));
  }
  const text = planText(plan);
  t.regex(
    text,
    /rollout api: 3 replicas, .* on failure rollback\n {2}rollback: 2 at a time, start-first, each replica healthy, delay 3s; on failure continue\n {2}batch 1: /,
  );
  t.deepEqual(plan.diagnostics, []);
});

test('rollback_config without a healthcheck in the file: a put-back replica counts as back once healthy if its image has a healthcheck, else running for rollback_config.monitor; disabled: running', (t) => {
  const { plan } = rollout({ failureAction: 'rollback', monitorNs: 9e9 }, {}, 2, { monitorNs: 2e9 });
  const r = plan.rollouts[0];
  t.like(r.rollback, {
    gate: 'healthy-or-running',
    monitorMs: 2000,
    order: 'stop-first',
    parallelism: 1,
    delayMs: 0,
    failureAction: 'pause',
  });
  const wait = r.batches[0][0].rollback.find((o) => o.kind === 'container.wait-ready')!;
  t.like(wait.params, { name: r.batches[0][0].name, monitorMs: 2000 });
  t.is(wait.id, `${r.batches[0][0].host} rollback: wait healthy or running ${r.batches[0][0].name}`);
  t.true(wait.params.timeoutMs > 2000);
  t.regex(
    planText(plan),
    /\n {2}rollback: 1 at a time, stop-first, each replica healthy, or running 2s \(monitor\) if its image has no healthcheck, delay 0s; on failure pause\n/,
  );

  const disabled = rollout({ failureAction: 'rollback', monitorNs: 9e9 }, { healthcheck: { test: ['NONE'] } }, 2, {
    monitorNs: 2e9,
  }).plan.rollouts[0];
  t.is(disabled.gate, 'running');
  t.like(disabled.rollback, { gate: 'running', monitorMs: 2000 });
  t.like(disabled.batches[0][0].rollback.find((o) => o.kind === 'container.wait-running')!.params, { monitorMs: 2000 });
  // only timings in the file: the image's test with those timings, so the container decides too
  t.is(rollout({}, { healthcheck: { test: [], intervalNs: 1e9 } }).plan.rollouts[0].gate, 'healthy-or-running');
});

test('rollback_config start-first with a published host port falls back to stop-first, with a warning on rollback_config.order; parallelism 0 is all at once', (t) => {
  const ports = { ports: [{ target: 80, published: '8080', protocol: 'tcp' as const, mode: 'host' as const }] };
  const { plan } = rollout({ failureAction: 'rollback' }, ports, 3, { order: 'start-first', parallelism: 0 });
  t.is(plan.rollouts[0].rollback.order, 'stop-first');
  t.is(plan.rollouts[0].rollback.parallelism, 3);
  t.is(plan.diagnostics.length, 1);
  t.is(plan.diagnostics[0].where?.path, 'services.api.deploy.rollback_config.order');
  t.regex(
    plan.diagnostics[0].summary,
    /rollback_config\.order start-first .* host port 8080\/tcp .* a rollback uses stop-first/,
  );
  // Without failure_action rollback the way back is never taken: no warning, and the plan does not show it.
  const paused = rollout({ failureAction: 'pause' }, ports, 3, { order: 'start-first' }).plan;
  t.deepEqual(paused.diagnostics, []);
  t.notRegex(planText(paused), /rollback:/);
});

test('a kept container left by a paused rollout is removed before the next rollout renames into its name', (t) => {
  const { plan, observed } = rollout({ parallelism: 1 }, {}, 1);
  const after = simulate(
    { ...plan, operations: plan.operations.filter((o) => !o.id.includes('_kept') && !o.id.endsWith('complete')) },
    observed,
  );
  t.true(Object.values(after.hosts).some((h) => h.containers.some((c) => c.role === 'kept')));
  const api3 = service('api', { environment: { RELEASE: 'v3' }, deploy: { replicas: 1 } });
  const next = reconcile(desired([api3]), after);
  const rm = next.operations.find(
    (o) => o.kind === 'container.remove' && String(o.params.name).endsWith('_kept') && o.deps.length === 0,
  )!;
  t.truthy(rm);
  t.true(next.operations.find((o) => o.kind === 'container.create')!.deps.includes(rm.id));
});

test("stop-first interrupted once the new container started but before the old one's rename: the next plan removes the started _next and replaces the old one again, and converges", (t) => {
  const { plan, observed, d2 } = rollout({ parallelism: 1 }, {}, 1);
  // Possible now that the rename and the start run side by side: X stopped under its own name, X_next running.
  const done = ['h1 create app-api-1_next', 'h1 stop app-api-1', 'h1 start app-api-1_next'];
  const left = simulate({ ...plan, operations: plan.operations.filter((o) => done.includes(o.id)) }, observed);
  const containers = Object.values(left.hosts).flatMap((h) => h.containers);
  t.deepEqual(containers.map((c) => `${c.name} ${c.state}`).sort(), ['app-api-1 exited', 'app-api-1_next running']);
  const next = reconcile(d2, left);
  const rm = next.operations.find((o) => o.id === 'h1 remove app-api-1_next')!;
  t.like(rm.params, { name: 'app-api-1_next', force: true });
  t.true(next.operations.find((o) => o.kind === 'container.create')!.deps.includes(rm.id));
  t.like(next.operations.find((o) => o.id === 'h1 rename app-api-1')?.params, { newName: 'app-api-1_kept' });
  t.deepEqual(reconcile(d2, simulate(next, left)).operations, []);
});

test('interleaving by host keeps slot order per host', (t) => {
  const xs = [
    { host: 'h2', n: 1 },
    { host: 'h2', n: 2 },
    { host: 'h1', n: 3 },
    { host: 'h2', n: 4 },
    { host: 'h3', n: 5 },
  ];
  t.deepEqual(
    interleaveByHost(xs).map((x) => x.n),
    [3, 1, 5, 2, 4],
  );
});

test('interleaving from an offset starts at that host and wraps around', (t) => {
  const xs = [
    { host: 'h1', n: 1 },
    { host: 'h2', n: 2 },
    { host: 'h3', n: 3 },
    { host: 'h1', n: 4 },
  ];
  t.deepEqual(
    interleaveByHost(xs, 1).map((x) => x.n),
    [2, 3, 1, 4],
  );
  t.deepEqual(
    interleaveByHost(xs, 5).map((x) => x.n),
    [3, 1, 2, 4],
  );
  t.deepEqual(interleaveByHost([], 2), []);
});

test('services rolling at the same time start on different hosts, so no daemon takes every first batch', (t) => {
  const svc = (name: string, release: string) =>
    service(name, {
      environment: { RELEASE: release },
      deploy: { replicas: 3, updateConfig: update(), rollbackConfig: update() },
    });
  const names = ['a', 'b', 'c', 'd'];
  const d1 = desired(names.map((n) => svc(n, 'v1')));
  const o = simulate(reconcile(d1, observedEmpty(d1)), observedEmpty(d1));
  const plan = reconcile(desired(names.map((n) => svc(n, 'v2'))), o);
  const first = plan.rollouts.map((r) => [r.service, r.batches[0][0].host]);
  t.deepEqual(first, [
    ['a', 'h1'],
    ['b', 'h2'],
    ['c', 'h3'],
    ['d', 'h1'],
  ]);
  // every service still visits each host once, one batch at a time
  for (const r of plan.rollouts) t.deepEqual(r.batches.map((b) => b[0].host).sort(), ['h1', 'h2', 'h3']);
  // deterministic: the same inputs give the same plan text
  t.is(
    planText(plan, { operations: true }),
    planText(reconcile(desired(names.map((n) => svc(n, 'v2'))), o), { operations: true }),
  );
});
