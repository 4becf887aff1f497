/** The generic DAG walker: ordering, per-key and global limits, skipping dependents, gates, cancellation. */
import test from 'ava';
import { NotStarted, walk, type NodeStatus, type WalkOptions } from '../../../src/apply/dag-walker.js';
import { Slots } from '../../../src/apply/slots.js';

interface Node {
  id: string;
  deps?: string[];
  after?: string[];
  host?: string;
  fail?: boolean;
  ms?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function options(log: string[], extra: Partial<WalkOptions<Node, string>> = {}): WalkOptions<Node, string> {
  return {
    id: (n) => n.id,
    deps: (n) => n.deps ?? [],
    after: (n) => n.after ?? [],
    slotOf: (n) => n.host,
    run: async (n) => {
      log.push(`start ${n.id}`);
      await sleep(n.ms ?? 1);
      log.push(`end ${n.id}`);
      if (n.fail) throw new Error(`${n.id} broke`);
      return n.id;
    },
    ...extra,
  };
}

const statuses = (m: Map<string, NodeStatus>) => Object.fromEntries([...m].sort());

test('a node starts only after its deps are done; independent branches run', async (t) => {
  const log: string[] = [];
  const nodes: Node[] = [{ id: 'c', deps: ['b'] }, { id: 'b', deps: ['a'] }, { id: 'a' }];
  const r = await walk(nodes, options(log));
  t.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  t.deepEqual(statuses(r.status), { a: 'done', b: 'done', c: 'done' });
  t.false(r.cancelled);
});

test('a failure skips its dependents (transitively, with the root cause) and not the other branches', async (t) => {
  const log: string[] = [];
  const skipped: string[] = [];
  const nodes: Node[] = [
    { id: 'a', fail: true },
    { id: 'b', deps: ['a'] },
    { id: 'c', deps: ['b'] },
    { id: 'x' },
    { id: 'y', deps: ['x'] },
    { id: 'z', after: ['a'] },
  ];
  const r = await walk(nodes, options(log, { onSkipped: (n, root) => skipped.push(`${n.id}<${root}`) }));
  t.deepEqual(statuses(r.status), { a: 'failed', b: 'skipped', c: 'skipped', x: 'done', y: 'done', z: 'done' });
  t.deepEqual(skipped, ['b<a', 'c<a']);
  t.is(r.rootCause.get('c'), 'a');
});

test('per-key and global limits', async (t) => {
  let perHost: Record<string, number> = {};
  let max: Record<string, number> = {};
  let all = 0;
  let maxAll = 0;
  const nodes: Node[] = [];
  for (const h of ['h1', 'h2', 'h3']) for (let i = 0; i < 4; i++) nodes.push({ id: `${h}-${i}`, host: h });
  const run = async (n: Node) => {
    const h = n.host!;
    perHost[h] = (perHost[h] ?? 0) + 1;
    max[h] = Math.max(max[h] ?? 0, perHost[h]);
    maxAll = Math.max(maxAll, ++all);
    await sleep(5);
    perHost[h]--;
    all--;
    return n.id;
  };
  await walk(nodes, options([], { slots: new Slots(2, 3), run }));
  t.true(Object.values(max).every((m) => m <= 2));
  t.is(maxAll, 3);
  perHost = {};
  max = {};
  maxAll = 0;
  await walk(nodes, options([], { slots: new Slots(1, 10), run }));
  t.deepEqual(max, { h1: 1, h2: 1, h3: 1 });
  // a limit per key: h2 carries 1 call at once (an ssh:// host's channels, say), the others 4
  perHost = {};
  max = {};
  await walk(nodes, options([], { slots: new Slots((h) => (h === 'h2' ? 1 : 4), 12), run }));
  t.deepEqual(max, { h1: 4, h2: 1, h3: 4 });
});

test('a gate skips a node with its reason; its dependents are skipped with its root', async (t) => {
  const skipped: string[] = [];
  const nodes: Node[] = [{ id: 'a' }, { id: 'b', deps: ['a'] }, { id: 'c' }];
  const r = await walk(
    nodes,
    options([], {
      gate: (n) => (n.id === 'a' ? new NotStarted('host gone', 'lost') : undefined),
      onSkipped: (n, root, reason) => skipped.push(`${n.id} ${root} ${reason ?? '-'}`),
    }),
  );
  t.deepEqual(statuses(r.status), { a: 'skipped', b: 'skipped', c: 'done' });
  t.deepEqual(skipped, ['a lost host gone', 'b lost -']);
});

test('cancellation returns at once and ignores what settles later', async (t) => {
  const ctl = new AbortController();
  const log: string[] = [];
  const nodes: Node[] = [
    { id: 'slow', ms: 200 },
    { id: 'next', deps: ['slow'] },
  ];
  const walking = walk(nodes, options(log, { signal: ctl.signal, onDone: (n) => log.push(`done ${n.id}`) }));
  await sleep(10);
  ctl.abort();
  const r = await walking;
  t.true(r.cancelled);
  t.is(r.status.size, 0);
  await sleep(250);
  t.deepEqual(log, ['start slow', 'end slow']);
});

test('an invalid graph is rejected up front: unknown dependency, cycle', async (t) => {
  await t.throwsAsync(walk([{ id: 'a', deps: ['nope'] }], options([])), { message: /unknown node nope/ });
  const cycle: Node[] = [
    { id: 'a', deps: ['c'] },
    { id: 'b', deps: ['a'] },
    { id: 'c', after: ['b'] },
  ];
  await t.throwsAsync(walk(cycle, options([])), { message: /cycle/ });
});

test('an empty graph ends at once', async (t) => {
  const r = await walk([], options([]));
  t.false(r.cancelled);
  t.is(r.status.size, 0);
});
