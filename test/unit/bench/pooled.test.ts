/** Paired ratios pooled over runs (issue 20): pairs within a repetition, geometric mean, a t-based 95 % interval. */
import test from 'ava';
import { pairsOf, pooled, pooledTable } from '../../../bench/lib/pooled.mjs';

const growth = {
  rows: [
    { metric: 'cold', hosts: 3, peer: 'floor', samples: [10, 8, 5] },
    { metric: 'cold', hosts: 3, peer: 'stack', samples: [11, 8, 4] },
    { metric: 'cold', hosts: 3, peer: 'stack, own overlay', samples: [6, 6] },
    { metric: 'cold', hosts: 3, peer: 'swarm', samples: [8, 12] },
    { metric: 'noop', hosts: 3, peer: 'stack', samples: [0.2, 0.3, 0.4] },
  ],
};
const coldShape = {
  0: { hosts: 3, peer: 'floor', rep: 0, totalMs: 1000 },
  1: { hosts: 3, peer: 'stack', rep: 0, totalMs: 1100 },
  2: { hosts: 3, peer: 'stack', rep: 1, totalMs: 900 }, // its floor's run is missing: no pair
};

test("a growth run pairs repetition i of stack with the floor's i, and stack's own overlay with Swarm's; no-ops are not pooled", (t) => {
  t.deepEqual(
    pairsOf(growth).map((p: { peer: string; ref: string; ratio: number }) => [p.peer, p.ref, p.ratio]),
    [
      ['stack', 'floor', 1.1],
      ['stack', 'floor', 1],
      ['stack', 'floor', 0.8],
      ['stack, own overlay', 'swarm', 0.75],
      ['stack, own overlay', 'swarm', 0.5],
    ],
  );
});

test('a cold-shape run pairs each peer with the floor of its repetition, and skips a repetition without one', (t) => {
  t.deepEqual(pairsOf(coldShape), [{ kind: 'cold-shape', hosts: 3, peer: 'stack', ref: 'floor', ratio: 1.1 }]);
});

test("pooled: the geometric mean, Student's t interval on the logs, and the share of pairs above 1", (t) => {
  const pairs = [1.1, 1.2, 0.9, 1.05].map((ratio) => ({
    kind: 'growth',
    hosts: 3,
    peer: 'stack',
    ref: 'floor',
    ratio,
  }));
  const [row] = pooled(pairs);
  const logs = [1.1, 1.2, 0.9, 1.05].map(Math.log);
  const mean = logs.reduce((a, b) => a + b) / 4;
  const sd = Math.sqrt(logs.reduce((a, x) => a + (x - mean) ** 2, 0) / 3);
  t.is(row.n, 4);
  t.true(Math.abs(row.geomean - Math.exp(mean)) < 1e-12);
  t.true(Math.abs(row.high - Math.exp(mean + (3.182 * sd) / 2)) < 1e-12, 't for 3 degrees of freedom');
  t.true(row.low < row.geomean && row.geomean < row.high);
  t.is(row.above, 0.75);
  t.regex(pooledTable([row]), /\| growth \| 3 \| stack \| floor \| 4 \| 1\.057× \| 0\.\d{3}–1\.\d{3} \| 75 % \|/);
});

test('one pair: a mean without an interval', (t) => {
  const [row] = pooled([{ kind: 'cold-shape', hosts: 8, peer: 'stack', ref: 'floor', ratio: 0.9 }]);
  t.true(Number.isNaN(row.low) && Number.isNaN(row.high));
  t.regex(pooledTable([row]), /\| 0\.900× \| –––? \|/);
});
