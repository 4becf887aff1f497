/**
 * `npm run bench -- --smoke`: what a run must have produced — a row with a sample for every peer and workload kind
 * of every phase, and no stack no-op with a write call. Never a timing: a smoke run proves the bench still runs.
 */

const OWN = 'stack, own overlay';
const E28 = ' (Engine 28)';

/**
 * The (workload, peer) rows a full run of the phases produces.
 * @param {{ workloads: { label: string, count: number }[], w1: { label: string, count: number },
 *   roll: { label: string }, noopLabel: (wl: { label: string, count: number }) => string, envLabel: string, ssh: boolean, engine28: boolean, planLabel: string }} o
 * @returns {{ workload: string, peer: string, unit?: string }[]}
 */
export function expectedRuns({ workloads, w1, roll, noopLabel, envLabel, ssh, engine28, planLabel }) {
  const out = [];
  const each = (peer, { env = true, rollout = false } = {}) => {
    if (rollout) out.push({ workload: roll.label, peer });
    for (const wl of workloads) {
      out.push({ workload: wl.label, peer }, { workload: noopLabel(wl), peer });
      if (env && wl === w1) out.push({ workload: envLabel, peer });
    }
  };
  each('floor');
  each('stack', { rollout: true });
  for (const wl of workloads) out.push({ workload: `RSS stack apply ${wl.count}`, peer: 'stack', unit: 'MB' });
  each('compose');
  if (ssh) each('stack over ssh', { env: false });
  out.push({ workload: planLabel, peer: 'stack', unit: 'ms' });
  for (const suffix of engine28 ? ['', E28] : ['']) {
    each(`${OWN}${suffix}`, { rollout: true });
    each(`swarm${suffix}`, { rollout: true });
  }
  return out;
}

/**
 * What is wrong with a run's rows against the expected ones: a row missing or without a finite sample, a no-op
 * whose call counts show a write.
 * @returns {string[]} one phrase per problem (empty: the smoke passed)
 */
export function smokeProblems(rows, expected) {
  const problems = [];
  for (const e of expected) {
    const row = rows.find((r) => r.workload === e.workload && r.peer === e.peer && (r.unit ?? 's') === (e.unit ?? 's'));
    if (!row) problems.push(`no result for "${e.workload}" by ${e.peer}`);
    else if (row.samples.length === 0 || !row.samples.every(Number.isFinite))
      problems.push(`"${e.workload}" by ${e.peer} has no finite sample (${JSON.stringify(row.samples)})`);
  }
  for (const r of rows)
    if (r.workload.includes('no-op') && r.calls && r.calls.writes !== 0)
      problems.push(`the no-op "${r.workload}" by ${r.peer} made ${r.calls.writes} write calls`);
  return problems;
}
