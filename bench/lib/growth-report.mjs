/**
 * The growth run's rows (bench/growth.mjs) as text: each metric's label at a host count, the no-op's Engine calls per
 * host in words, and the summary table — one line per host count, the peers side by side, medians.
 */
import { stats } from './report.mjs';

/** The workload label of a metric at `hosts` hosts (`count` containers). */
export function growthLabel(metric, hosts, count) {
  switch (metric) {
    case 'cold':
      return `cold apply, ${hosts} hosts (${count} containers)`;
    case 'noop':
      return `no-op, ${hosts} hosts (${count} containers)`;
    case 'calls':
      return `no-op Engine reads per host, ${hosts} hosts`;
    case 'rss':
      return `peak RSS of stack's cold apply, ${hosts} hosts`;
    default:
      throw new Error(`unknown growth metric ${metric}`);
  }
}

/**
 * A no-op's Engine calls per host (stack's summary: host → { reads, writes }): the most reads any host took, the
 * fewest, and a line saying which hosts took how many ("5 reads on each of 15 hosts, 6 on h1").
 */
export function perHostCalls(perHost) {
  const byReads = new Map();
  for (const [host, c] of Object.entries(perHost)) byReads.set(c.reads, [...(byReads.get(c.reads) ?? []), host]);
  const counts = [...byReads.keys()].sort((a, b) => b - a);
  const hosts = Object.keys(perHost).length;
  const common = [...byReads.entries()].sort((a, b) => b[1].length - a[1].length)[0];
  const others = [...byReads.entries()].filter(([r]) => r !== common[0]);
  const text =
    others.length === 0
      ? `${common[0]} reads on each of ${hosts} hosts`
      : `${common[0]} reads on each of ${common[1].length} hosts, ${others.map(([r, hs]) => `${r} on ${hs.join(', ')}`).join('; ')}`;
  return { maxReads: counts[0], minReads: counts.at(-1), text };
}

const med = (rows, hosts, metric, peer) => {
  const r = rows.find((x) => x.hosts === hosts && x.metric === metric && x.peer === peer);
  return r ? stats(r.samples).median : undefined;
};
const sec = (x) => (x === undefined ? '–' : `${x.toFixed(2)} s`);
const times = (a, b) => (a === undefined || b === undefined || b === 0 ? '–' : `${(a / b).toFixed(2)}×`);

/** The summary: per host count, cold apply and no-op of every peer (medians), the ratios, reads per host and RSS. */
export function growthTable(rows) {
  const own = 'stack, own overlay';
  const viaDaemon = 'stack, own overlay, daemon';
  const counts = [...new Set(rows.filter((r) => r.hosts).map((r) => r.hosts))].sort((a, b) => a - b);
  const out = [
    '| hosts | containers | cold: floor | stack | × floor | stack, own overlay | swarm | own × swarm | no-op: floor | stack | stack, own overlay | own, daemon | swarm | own × swarm | daemon × swarm | no-op reads per host | stack peak RSS |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const n of counts) {
    const c = (peer) => med(rows, n, 'cold', peer);
    const o = (peer) => med(rows, n, 'noop', peer);
    const reads = rows.find((r) => r.hosts === n && r.metric === 'calls' && r.peer === 'stack');
    const rss = med(rows, n, 'rss', 'stack');
    const count = /\((\d+) containers\)/.exec(
      rows.find((r) => r.hosts === n && r.metric === 'cold')?.workload ?? '',
    )?.[1];
    out.push(
      `| ${n} | ${count ?? '–'} | ${sec(c('floor'))} | ${sec(c('stack'))} | ${times(c('stack'), c('floor'))} | ${sec(c(own))} | ${sec(c('swarm'))} | ${times(c(own), c('swarm'))} | ${sec(o('floor'))} | ${sec(o('stack'))} | ${sec(o(own))} | ${sec(o(viaDaemon))} | ${sec(o('swarm'))} | ${times(o(own), o('swarm'))} | ${times(o(viaDaemon), o('swarm'))} | ${reads ? stats(reads.samples).max : '–'} | ${rss === undefined ? '–' : `${rss.toFixed(0)} MB`} |`,
    );
  }
  return out.join('\n');
}
