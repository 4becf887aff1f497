/** The executor against a fake host client: order, skips, compensation, concurrency limits. */
import test from 'ava';
import { apply, type ApplyEvent } from '../../../src/apply/index.js';
import type { HostClient } from '../../../src/docker/client.js';
import { reconcile } from '../../../src/plan/index.js';
import { desired, observedEmpty, service, simulate } from './helpers.js';

/** `inFlight` counts this host's calls in flight; `writesInFlight`, when given, its writes (share one across hosts for a global count). */
function fakeClient(
  name: string,
  log: string[],
  fail: (call: string) => boolean = () => false,
  inFlight = { now: 0, max: 0 },
  writesInFlight = { now: 0, max: 0 },
): HostClient {
  const counts = { reads: 0, writes: 0 };
  const call = (kind: 'r' | 'w', what: string) => async () => {
    if (kind === 'r') counts.reads++;
    else counts.writes++;
    const counters = kind === 'w' ? [inFlight, writesInFlight] : [inFlight];
    for (const c of counters) {
      c.now++;
      c.max = Math.max(c.max, c.now);
    }
    await new Promise((r) => setTimeout(r, 2));
    for (const c of counters) c.now--;
    log.push(`${name} ${what}`);
    if (fail(what)) throw new Error(`boom ${what}`);
  };
  const c = {
    name,
    counts,
    pull: (i: string) => call('w', `pull ${i}`)(),
    createNetwork: (b: any) => call('w', `create-network ${b.Name}`)(),
    createVolume: (b: any) => call('w', `create-volume ${b.Name}`)(),
    createContainer: (n: string) => call('w', `create ${n}`)(),
    connectNetwork: (n: string, b: any) => call('w', `connect ${b.Container} ${n}`)(),
    start: (n: string) => call('w', `start ${n}`)(),
    stop: (n: string) => call('w', `stop ${n}`)(),
    remove: (n: string) => call('w', `remove ${n}`)(),
    rename: (n: string, m: string) => call('w', `rename ${n} ${m}`)(),
    putArchive: (n: string) => call('w', `put ${n}`)(),
    inspectContainer: async (n: string) => (
      await call('r', `inspect ${n}`)(),
      { State: { Running: true, Health: { Status: 'healthy' } } }
    ),
  };
  return c as unknown as HostClient;
}

test('a failed operation skips its dependents only; other hosts finish; the summary counts calls', async (t) => {
  const d = desired([service('a', { deploy: { replicas: 3 } })]);
  const plan = reconcile(d, observedEmpty(d));
  const log: string[] = [];
  const clients = new Map(
    d.hosts.map((h) => [h.name, fakeClient(h.name, log, (w) => h.name === 'h2' && w.startsWith('create app-a'))]),
  );
  const events: ApplyEvent[] = [];
  const res = await apply(plan, {
    clients,
    hostConcurrency: 2,
    globalConcurrency: 4,
    contents: () => Buffer.alloc(0),
    reporter: { event: (e) => events.push(e) },
  });
  t.false(res.ok);
  t.deepEqual(
    res.failures.map((f) => f.op),
    ['h2 create app-a-2'],
  );
  t.is(res.status['h2 start app-a-2'], 'skipped');
  t.is(res.status['h1 start app-a-1'], 'done');
  t.is(res.status['h3 start app-a-3'], 'done');
  const skipped = events.find((e) => e.type === 'op-skipped');
  t.deepEqual(skipped, {
    type: 'op-skipped',
    op: { id: 'h2 start app-a-2', kind: 'container.start', host: 'h2', resource: 'service:a:2', cause: 'new replica' },
    reason: 'h2 create app-a-2 failed',
  });
  const summary = events.at(-1)!;
  t.is(summary.type, 'summary');
  if (summary.type === 'summary') t.deepEqual(summary.calls.h1, { reads: 0, writes: 4 });
});

test('a failed replacement starts the old container again and removes the new one', async (t) => {
  const d = desired([service('a', { environment: { X: '1' } })]);
  const o = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  const d2 = desired([service('a', { environment: { X: '2' } })]);
  const plan = reconcile(d2, o);
  const log: string[] = [];
  const clients = new Map(d.hosts.map((h) => [h.name, fakeClient(h.name, log, (w) => w === 'start app-a-1_next')]));
  const res = await apply(plan, { clients, hostConcurrency: 2, globalConcurrency: 4, contents: () => Buffer.alloc(0) });
  t.false(res.ok);
  // the undo runs only the steps that undo what succeeded: remove the new one, rename the kept one back, start it
  t.deepEqual(log, [
    'h1 create app-a-1_next',
    'h1 stop app-a-1',
    'h1 rename app-a-1 app-a-1_kept',
    'h1 start app-a-1_next',
    'h1 remove app-a-1_next',
    'h1 rename app-a-1_kept app-a-1',
    'h1 start app-a-1',
  ]);
});

test('the per-host concurrency limit holds on each host', async (t) => {
  const d = desired([service('a', { deploy: { replicas: 30 } })]);
  const plan = reconcile(d, observedEmpty(d));
  const perHost = new Map(d.hosts.map((h) => [h.name, { now: 0, max: 0 }]));
  const log: string[] = [];
  const clients = new Map(d.hosts.map((h) => [h.name, fakeClient(h.name, log, () => false, perHost.get(h.name))]));
  const res = await apply(plan, { clients, hostConcurrency: 3, globalConcurrency: 5, contents: () => Buffer.alloc(0) });
  t.true(res.ok);
  for (const c of perHost.values()) t.true(c.max <= 3 && c.max >= 2, String(c.max));
});

test("a host whose transport carries fewer calls at once (an ssh:// host's channels) gets no more slots than that", async (t) => {
  const d = desired([service('a', { deploy: { replicas: 30 } })]);
  const plan = reconcile(d, observedEmpty(d));
  const perHost = new Map(d.hosts.map((h) => [h.name, { now: 0, max: 0 }]));
  const clients = new Map(
    d.hosts.map((h) => {
      const c = fakeClient(h.name, [], () => false, perHost.get(h.name));
      return [h.name, h.name === 'h2' ? ({ ...c, maxInFlight: 2 } as HostClient) : c];
    }),
  );
  const res = await apply(plan, {
    clients,
    hostConcurrency: 6,
    globalConcurrency: 100,
    contents: () => Buffer.alloc(0),
  });
  t.true(res.ok);
  t.is(perHost.get('h2')!.max, 2);
  for (const h of ['h1', 'h3']) t.true(perHost.get(h)!.max > 2 && perHost.get(h)!.max <= 6, h);
});

test('the global concurrency limit holds across hosts: writes in flight on all hosts together never exceed it', async (t) => {
  const d = desired([service('a', { deploy: { replicas: 30 } }), service('b', { deploy: { replicas: 30 } })]);
  const plan = reconcile(d, observedEmpty(d));
  const all = { now: 0, max: 0 };
  const perHost = new Map(d.hosts.map((h) => [h.name, { now: 0, max: 0 }]));
  const log: string[] = [];
  const clients = new Map(d.hosts.map((h) => [h.name, fakeClient(h.name, log, () => false, perHost.get(h.name), all)]));
  // 3 hosts × 4 per host would allow 12 at once; the global limit of 5 is the one that binds.
  const res = await apply(plan, { clients, hostConcurrency: 4, globalConcurrency: 5, contents: () => Buffer.alloc(0) });
  t.true(res.ok);
  t.is(log.length, plan.operations.length);
  t.is(all.now, 0);
  t.is(all.max, 5, 'reaches the global limit (more than one host at once), never more');
  for (const c of perHost.values()) t.true(c.max <= 4, String(c.max));
  // with a global limit of 1, one write at a time over all hosts
  const one = { now: 0, max: 0 };
  const serial = new Map(d.hosts.map((h) => [h.name, fakeClient(h.name, [], () => false, undefined, one)]));
  t.true(
    (await apply(plan, { clients: serial, hostConcurrency: 4, globalConcurrency: 1, contents: () => Buffer.alloc(0) }))
      .ok,
  );
  t.is(one.max, 1);
});
