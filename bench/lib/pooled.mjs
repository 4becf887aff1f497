/**
 * Paired ratios pooled over many runs (issue 20): one repetition of a bench runs its peers next to each other, so
 * the ratio of a peer's time to its reference's in the same repetition cancels most of the machine's load; pooled
 * over every run on record, their geometric mean and its 95 % confidence interval say more than the median of any
 * one run (whose repetitions swing by ±15 % here). Pure: the results documents in, rows out.
 */

/** Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom; 1.96 beyond (close enough there). */
const T975 = [
  12.71, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
const t975 = (df) => T975[df - 1] ?? 1.96;

/**
 * The pairs a results document holds, as { kind, hosts, peer, ref, ratio }:
 * - a growth run (`rows` of { metric, hosts, peer, samples }): each cold apply's repetition against the floor's
 *   (stack on the engine overlay) or Swarm's (stack with its own overlay: like for like), sample i with sample i;
 * - a cold-shape run (rows of { hosts, peer, rep, totalMs }): each peer against the floor of its repetition.
 */
export function pairsOf(doc) {
  if (Array.isArray(doc?.rows)) return growthPairs(doc.rows);
  const rows = Array.isArray(doc) ? doc : Object.values(doc ?? {});
  return coldShapePairs(rows.filter((r) => typeof r?.totalMs === 'number'));
}

const REFS = [
  ['stack', 'floor'],
  ['stack, own overlay', 'swarm'],
];

function growthPairs(rows) {
  const cold = rows.filter((r) => r.metric === 'cold');
  const out = [];
  for (const [peer, ref] of REFS)
    for (const mine of cold.filter((r) => r.peer === peer)) {
      const theirs = cold.find((r) => r.peer === ref && r.hosts === mine.hosts);
      const n = Math.min(mine.samples.length, theirs?.samples.length ?? 0);
      for (let i = 0; i < n; i++)
        out.push({ kind: 'growth', hosts: mine.hosts, peer, ref, ratio: mine.samples[i] / theirs.samples[i] });
    }
  return out;
}

function coldShapePairs(rows) {
  const floor = new Map(rows.filter((r) => r.peer === 'floor').map((r) => [`${r.hosts}/${r.rep}`, r.totalMs]));
  return rows
    .filter((r) => r.peer !== 'floor' && floor.has(`${r.hosts}/${r.rep}`))
    .map((r) => ({
      kind: 'cold-shape',
      hosts: r.hosts,
      peer: r.peer,
      ref: 'floor',
      ratio: r.totalMs / floor.get(`${r.hosts}/${r.rep}`),
    }));
}

/** Per (kind, hosts, peer, ref): the number of pairs, their geometric mean, its 95 % interval, the share above 1. */
export function pooled(pairs) {
  const groups = new Map();
  for (const p of pairs) {
    const key = [p.kind, p.hosts, p.peer, p.ref].join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()].map((g) => {
    const logs = g.map((p) => Math.log(p.ratio));
    const n = logs.length;
    const mean = logs.reduce((a, b) => a + b, 0) / n;
    const sd = n > 1 ? Math.sqrt(logs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : NaN;
    const half = n > 1 ? (t975(n - 1) * sd) / Math.sqrt(n) : NaN;
    const { kind, hosts, peer, ref } = g[0];
    return {
      kind,
      hosts,
      peer,
      ref,
      n,
      geomean: Math.exp(mean),
      low: Math.exp(mean - half),
      high: Math.exp(mean + half),
      above: g.filter((p) => p.ratio > 1).length / n,
    };
  });
}

/** The pooled rows as a Markdown table, by kind, host count and peer. */
export function pooledTable(rows) {
  const sorted = [...rows].sort(
    (a, b) => a.kind.localeCompare(b.kind) || a.hosts - b.hosts || a.peer.localeCompare(b.peer),
  );
  const f = (x) => (Number.isFinite(x) ? x.toFixed(3) : '–');
  return [
    '| runs | hosts | peer | × | pairs | geometric mean | 95 % interval | pairs above 1 |',
    '| --- | ---: | --- | --- | ---: | ---: | ---: | ---: |',
    ...sorted.map(
      (r) =>
        `| ${r.kind} | ${r.hosts} | ${r.peer} | ${r.ref} | ${r.n} | ${f(r.geomean)}× | ${f(r.low)}–${f(r.high)} | ${Math.round(r.above * 100)} % |`,
    ),
  ].join('\n');
}
