/** The executor under faults, against an in-memory host client: a lost host, an interruption, a second signal. */
import test from 'ava';
import { apply, type ApplyEvent } from '../../../src/apply/index.js';
import { Interruption } from '../../../src/apply/interruption.js';
import { HostError, type HostClient } from '../../../src/docker/client.js';
import { reconcile } from '../../../src/plan/index.js';
import { desired, observedEmpty, service } from '../plan/helpers.js';

interface Behaviour {
  /** Fails the call as if the daemon were gone. */
  down?: (host: string, what: string) => boolean;
  /** Delay of each call, ms. */
  delay?: number;
  /** Called when a call starts. */
  onCall?: (host: string, what: string) => void;
}

function memoryClient(name: string, log: string[], b: Behaviour = {}): HostClient {
  const counts = { reads: 0, writes: 0 };
  const call = (what: string) => async () => {
    counts.writes++;
    b.onCall?.(name, what);
    await new Promise((r) => {
      const timer = setTimeout(r, b.delay ?? 2);
      // Calls that outlive the test (a hard interruption does not wait for them) must not hold the worker.
      if ((b.delay ?? 2) > 1000) timer.unref();
    });
    if (b.down?.(name, what))
      throw new HostError(
        name,
        what,
        undefined,
        undefined,
        Object.assign(new Error(`connect ECONNREFUSED ${name}`), { code: 'ECONNREFUSED' }),
        'unreachable',
        3,
      );
    log.push(`${name} ${what}`);
  };
  return {
    name,
    counts,
    pull: (i: string) => call(`pull ${i}`)(),
    createNetwork: (x: any) => call(`create-network ${x.Name}`)(),
    createVolume: (x: any) => call(`create-volume ${x.Name}`)(),
    createContainer: (n: string) => call(`create ${n}`)(),
    connectNetwork: (n: string, x: any) => call(`connect ${x.Container} ${n}`)(),
    start: (n: string) => call(`start ${n}`)(),
    stop: (n: string) => call(`stop ${n}`)(),
    remove: (n: string) => call(`remove ${n}`)(),
    rename: (n: string, m: string) => call(`rename ${n} ${m}`)(),
    putArchive: (n: string) => call(`put ${n}`)(),
  } as unknown as HostClient;
}

const base = { hostConcurrency: 2, globalConcurrency: 4, contents: () => Buffer.alloc(0) };

test('a host lost during apply: nothing more is sent to it, the others finish, the root cause lists what was skipped', async (t) => {
  const d = desired([service('a', { deploy: { replicas: 6 } })]);
  const plan = reconcile(d, observedEmpty(d));
  const log: string[] = [];
  const sentToH2: string[] = [];
  const clients = new Map(
    d.hosts.map((h) => [
      h.name,
      memoryClient(h.name, log, {
        down: (host) => host === 'h2',
        onCall: (host, w) => host === 'h2' && sentToH2.push(w),
      }),
    ]),
  );
  const events: ApplyEvent[] = [];
  const res = await apply(plan, { ...base, hostConcurrency: 1, clients, reporter: { event: (e) => events.push(e) } });
  t.false(res.ok);
  t.is(res.outcome, 'failed');
  t.deepEqual(Object.keys(res.lostHosts), ['h2']);
  t.regex(res.lostHosts.h2.error, /ECONNREFUSED/);
  // One call reached h2 (the one that found it gone); every other h2 op was skipped without a call.
  t.is(sentToH2.length, 1);
  t.is(res.failures.length, 1);
  const h2ops = plan.operations.filter((o) => o.host === 'h2').map((o) => o.id);
  const root = res.rootCauses.find((r) => r.op === res.failures[0].op)!;
  t.is(root.host, 'h2');
  t.deepEqual([...root.skipped].sort(), h2ops.filter((id) => id !== root.op).sort());
  for (const id of plan.operations.filter((o) => o.host !== 'h2').map((o) => o.id)) t.is(res.status[id], 'done', id);
  const summary = events.at(-1)!;
  t.true(summary.type === 'summary' && summary.outcome === 'failed' && !!summary.lostHosts?.h2);
});

test('interrupted: operations in flight finish, nothing new starts, outcome interrupted', async (t) => {
  const d = desired([service('a', { deploy: { replicas: 9 } })]);
  const plan = reconcile(d, observedEmpty(d));
  const log: string[] = [];
  const interruption = new Interruption(10_000);
  let calls = 0;
  const startedAfter: string[] = [];
  const clients = new Map(
    d.hosts.map((h) => [
      h.name,
      memoryClient(h.name, log, {
        delay: 20,
        onCall: (host, w) => {
          if (interruption.requested) startedAfter.push(`${host} ${w}`);
          if (++calls === 3) interruption.interrupt('SIGINT');
        },
      }),
    ]),
  );
  const res = await apply(plan, { ...base, clients, signal: interruption.signal, hardSignal: interruption.hardSignal });
  interruption.dispose();
  t.is(res.outcome, 'interrupted');
  t.false(res.ok);
  t.deepEqual(startedAfter, []);
  t.is(log.length, 3, 'the three calls in flight finished');
  t.is(Object.values(res.status).filter((s) => s === 'done').length, 3);
  t.is(res.rootCauses.find((r) => r.op === 'interrupt')!.skipped.length, plan.operations.length - 3);
});

test('a second signal returns at once, leaving the op in flight as interrupted', async (t) => {
  const d = desired([service('a')]);
  const plan = reconcile(d, observedEmpty(d));
  const interruption = new Interruption(60_000);
  const client = memoryClient('h1', [], {
    delay: 60_000,
    onCall: () => {
      interruption.interrupt('SIGINT');
      interruption.interrupt('SIGINT');
    },
  });
  const clients = new Map(d.hosts.map((h) => [h.name, client]));
  const res = await apply(plan, { ...base, clients, signal: interruption.signal, hardSignal: interruption.hardSignal });
  interruption.dispose();
  t.is(res.outcome, 'interrupted');
  const first = plan.operations[0].id;
  t.is(res.status[first], 'interrupted');
  for (const op of plan.operations.slice(1)) t.is(res.status[op.id], 'skipped');
});

test('the grace time ends an interruption like a second signal', async (t) => {
  const d = desired([service('a')]);
  const plan = reconcile(d, observedEmpty(d));
  const interruption = new Interruption(30);
  const client = memoryClient('h1', [], { delay: 5_000, onCall: () => interruption.interrupt('SIGTERM') });
  const res = await apply(plan, {
    ...base,
    clients: new Map(d.hosts.map((h) => [h.name, client])),
    signal: interruption.signal,
    hardSignal: interruption.hardSignal,
  });
  interruption.dispose();
  t.is(res.outcome, 'interrupted');
  t.true(interruption.hardSignal.aborted);
  t.regex(String(interruption.hardSignal.reason), /grace time/);
});
