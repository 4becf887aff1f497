/** Statistics and rendering of bench results: min/median/max, ratios to the floor and to stack, a Markdown table. */

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { n: s.length, min: s[0], median, max: s.at(-1) };
}

const fmt = (x, unit) =>
  x === undefined
    ? '–'
    : unit === 'ms'
      ? `${(x * 1000).toFixed(1)} ms`
      : unit === 'MB'
        ? `${x.toFixed(0)} MB`
        : unit === 'calls'
          ? `${x.toFixed(0)}`
          : `${x.toFixed(2)} s`;
const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? '–' : `${(a / b).toFixed(2)}×`);

/**
 * rows: { workload, peer, samples, unit?, note?, engine? }. Ratios compare medians within one workload (to the floor,
 * to stack on the engine overlay, to Swarm on the same engine: a row with `engine: '28'` to Swarm's Engine 28 row).
 * @returns {string} a Markdown table
 */
export function markdownTable(rows) {
  const out = [
    '| workload | peer | min | median | max | × floor | × stack | × swarm | notes |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const st = stats(r.samples);
    const same = rows.filter((x) => x.workload === r.workload && (x.unit ?? 's') === (r.unit ?? 's'));
    const floor = same.find((x) => x.peer === 'floor');
    const stack = same.find((x) => x.peer === 'stack');
    const swarm = same.find((x) => x.peer.startsWith('swarm') && (x.engine ?? '') === (r.engine ?? ''));
    const med = (x) => (x ? stats(x.samples).median : undefined);
    out.push(
      `| ${r.workload} | ${r.peer} | ${fmt(st.min, r.unit)} | ${fmt(st.median, r.unit)} | ${fmt(st.max, r.unit)} | ${floor ? ratio(st.median, med(floor)) : '–'} | ${stack ? ratio(st.median, med(stack)) : '–'} | ${swarm ? ratio(st.median, med(swarm)) : '–'} | ${r.note ?? ''} |`,
    );
  }
  return out.join('\n');
}

/**
 * The critical path of one `stack apply --json` run, from its own events: starting at the operation that
 * finished last, step back each time to the dependency (or `after`) that settled last. An op's `ms` runs from
 * the moment it was dispatched (its last dependency settled) to its end, queueing included, so the path's ms
 * add up to the time from the first operation to the last. `beforeMs` is what the run spent before its first
 * operation (process start, loading, lock, observing, planning), `afterMs` after its last (revision, catalog,
 * lock release, exit); `spawnedAt`/`exitedAt` are the wall clock around the process (ms since the epoch).
 * @returns {{ byKind: Record<string, number>, pathMs: number, beforeMs: number, afterMs: number, ops: number }}
 */
export function criticalPath(events, spawnedAt, exitedAt) {
  const plan = events.find((e) => e.type === 'plan')?.plan;
  const done = new Map(
    events
      .filter((e) => e.type === 'op-done')
      .map((e) => [e.op.id, { at: Date.parse(e.time), ms: e.ms, kind: e.op.kind }]),
  );
  const byId = new Map((plan?.operations ?? []).map((o) => [o.id, o]));
  const lastDone = Math.max(...[...done.values()].map((d) => d.at));
  let cur = [...done.entries()].find(([, d]) => d.at === lastDone)?.[0];
  const byKind = {};
  let pathMs = 0;
  let ops = 0;
  let firstStart = lastDone;
  while (cur) {
    const d = done.get(cur);
    byKind[d.kind] = (byKind[d.kind] ?? 0) + d.ms;
    pathMs += d.ms;
    ops++;
    firstStart = d.at - d.ms;
    const op = byId.get(cur);
    cur = [...(op?.deps ?? []), ...(op?.after ?? [])]
      .filter((p) => done.has(p))
      .sort((a, b) => done.get(b).at - done.get(a).at)[0];
  }
  return { byKind, pathMs, beforeMs: firstStart - spawnedAt, afterMs: exitedAt - lastDone, ops };
}
