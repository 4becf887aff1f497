/** `npm run bench -- --smoke`'s verdict (issue 23): every peer and workload kind ran, no no-op wrote. Never a timing. */
import test from 'ava';
import { expectedRuns, smokeProblems } from '../../../bench/lib/smoke.mjs';

const w1 = { label: '1 cold apply 2×3', count: 6 };
const w2 = { label: '2 cold apply 4×3', count: 12 };
const opts = {
  workloads: [w1, w2],
  w1,
  roll: { label: '5 rolling update 2×3' },
  noopLabel: (wl: { count: number }) => `3 no-op ${wl.count} containers`,
  envLabel: '4 env of 1 service (6)',
  ssh: true,
  engine28: true,
  planLabel: '6 plan',
};
const rowsFor = (expected: { workload: string; peer: string; unit?: string }[]) =>
  expected.map((e) => ({ ...e, samples: [1.5] }));

test('every peer of every phase is expected, Engine 28 included', (t) => {
  const peers = new Set(expectedRuns(opts).map((e) => e.peer));
  t.deepEqual(
    [...peers].sort(),
    [
      'compose',
      'floor',
      'stack',
      'stack over ssh',
      'stack, own overlay',
      'stack, own overlay (Engine 28)',
      'swarm',
      'swarm (Engine 28)',
    ].sort(),
  );
  const kinds = (peer: string) =>
    expectedRuns(opts)
      .filter((e) => e.peer === peer)
      .map((e) => e.workload[0])
      .sort()
      .join('');
  t.is(kinds('swarm (Engine 28)'), '123345', 'cold applies, no-ops, env change and rollout');
  t.is(kinds('stack'), '1233456RR', 'and its RSS rows and the plan');
  t.false(expectedRuns({ ...opts, engine28: false }).some((e) => e.peer.includes('Engine 28')));
});

test('a complete run has no problem', (t) => {
  t.deepEqual(smokeProblems(rowsFor(expectedRuns(opts)), expectedRuns(opts)), []);
});

test('a missing row, an empty one and a no-op that wrote are each named', (t) => {
  const expected = expectedRuns(opts);
  const rows = rowsFor(expected).filter((r) => r.peer !== 'swarm (Engine 28)' || r.workload !== w1.label);
  rows.find((r) => r.peer === 'compose')!.samples = [];
  Object.assign(
    rows.find((r) => r.peer === 'stack' && r.workload.startsWith('3 no-op'))!,
    {
      calls: { reads: 16, writes: 2 },
    },
  );
  t.deepEqual(smokeProblems(rows, expected), [
    `"1 cold apply 2×3" by compose has no finite sample ([])`,
    `no result for "1 cold apply 2×3" by swarm (Engine 28)`,
    `the no-op "3 no-op 6 containers" by stack made 2 write calls`,
  ]);
});
