/**
 * The cold-shape bench's results as Markdown (issue 20): per host count and peer the ratio of its wall time to the
 * floor's of the same repetition (the runs of one repetition are neighbours in time, so they share the machine's
 * load), its median, and the medians of the shape's numbers (bench/lib/shape.mjs). Pure: results in, text out.
 */
import { stats } from './report.mjs';

const med = (xs) => stats(xs).median;
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const n0 = (x) => x.toFixed(0);

/** @param {object[]} results cold-shape's rows: { hosts, peer, rep, totalMs, beforeMs, … } */
export function coldReport(results) {
  const out = [];
  for (const hosts of [...new Set(results.map((r) => r.hosts))]) {
    const rows = results.filter((r) => r.hosts === hosts);
    const floorOf = (rep) => rows.find((r) => r.peer === 'floor' && r.rep === rep);
    out.push(
      `### ${hosts} hosts (${rows[0].writes} writes by stack)`,
      '',
      '| peer | wall (median) | × floor per rep | × floor (median) | before 1st write | writes span | after last write | in flight / host | peak / host | max idle in span | create→start | CPU before / all |',
      '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const peer of [...new Set(rows.map((r) => r.peer))]) {
      const mine = rows.filter((r) => r.peer === peer);
      const ratios = mine.map((r) => r.totalMs / floorOf(r.rep).totalMs);
      const pick = (f) => med(mine.map(f));
      out.push(
        `| ${peer} | ${s(pick((r) => r.totalMs))} | ${ratios.map((x) => x.toFixed(2)).join(', ')} | ${med(ratios).toFixed(2)}× | ${n0(pick((r) => r.beforeMs))} ms | ${n0(pick((r) => r.spanMs))} ms | ${n0(pick((r) => r.afterMs))} ms | ${pick((r) => r.meanInFlight).toFixed(1)} | ${n0(pick((r) => Math.max(...r.perHost.map((h) => h.peakInFlight))))} | ${n0(pick((r) => r.maxIdleInSpanMs))} ms | ${n0(pick((r) => r.createToStartMs))} ms | ${n0(pick((r) => r.cpuBeforeMs))} / ${n0(pick((r) => r.cpuMs))} ms |`,
      );
    }
    out.push('', `load average (1 min) at each run: ${rows.map((r) => r.load).join(' ')}`, '');
  }
  return out.join('\n');
}
