#!/usr/bin/env node
/**
 * Draws the growth curves (bench/growth.mjs's JSON) as one SVG with Vega-Lite, rendered headless by Vega (no browser,
 * no canvas): seconds against hosts per peer for the cold apply and the no-op, and the no-op's Engine reads per host.
 *   node bench/growth-plot.mjs [GROWTH.json [OUT.svg]]   (default bench/results/growth-latest.json → growth.svg)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const results = join(dirname(fileURLToPath(import.meta.url)), 'results');
const [input = join(results, 'growth-latest.json'), output = join(results, 'growth.svg')] = process.argv.slice(2);

const PEERS = ['floor', 'stack', 'stack, own overlay', 'stack, own overlay, daemon', 'swarm'];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One point per (metric, peer, host count): the median of its samples. */
export function points(result) {
  return result.rows
    .filter((r) => ['cold', 'noop', 'calls'].includes(r.metric))
    .map((r) => ({ metric: r.metric, peer: r.peer, hosts: r.hosts, value: median(r.samples) }));
}

/** One panel: `metric`'s points against hosts, a line per peer. */
function panel(metric, title, yTitle, hostCounts) {
  return {
    title,
    width: 260,
    height: 220,
    transform: [{ filter: { field: 'metric', equal: metric } }],
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'hosts', type: 'quantitative', title: 'hosts', axis: { values: hostCounts, format: 'd' } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: true } },
      color: { field: 'peer', type: 'nominal', title: null, scale: { domain: PEERS } },
    },
  };
}

/** The Vega-Lite spec of the three panels over one data set. */
export function growthSpec(result) {
  const counts = result.hostCounts;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `stack's cost against hosts (${result.perHost} containers per host; medians of ${result.reps} run(s), ${result.when.slice(0, 16)} UTC)`,
    data: { values: points(result) },
    hconcat: [
      panel('cold', 'cold apply', 'seconds', counts),
      panel('noop', 'no-op (process start included)', 'seconds', counts),
      panel('calls', "no-op's Engine reads, most on any host", 'reads per host', counts),
    ],
    config: { legend: { orient: 'bottom' }, font: 'sans-serif' },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let vega;
  let vl;
  try {
    [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  } catch {
    console.error('growth-plot: vega and vega-lite are not installed (devDependencies): npm ci');
    process.exit(1);
  }
  const result = JSON.parse(readFileSync(input, 'utf8'));
  const view = new vega.View(vega.parse(vl.compile(growthSpec(result)).spec), { renderer: 'none' });
  writeFileSync(output, await view.toSVG());
  console.error(`growth-plot: ${output}`);
}
