/** The growth bench (issue 20) without daemons: its rows as text, the plot's data and spec, its bad options. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { growthLabel, growthTable, perHostCalls } from '../../../bench/lib/growth-report.mjs';
import { growthSpec, points } from '../../../bench/growth-plot.mjs';

const repo = join(import.meta.dirname, '..', '..', '..');

test("a no-op's reads per host: the most, the fewest, and which hosts took how many", (t) => {
  const same = perHostCalls({ h1: { reads: 5, writes: 0 }, h2: { reads: 5, writes: 0 } });
  t.deepEqual(same, { maxReads: 5, minReads: 5, text: '5 reads on each of 2 hosts' });
  const one = perHostCalls({ h1: { reads: 6, writes: 0 }, h2: { reads: 5, writes: 0 }, h3: { reads: 5, writes: 0 } });
  t.deepEqual(one, { maxReads: 6, minReads: 5, text: '5 reads on each of 2 hosts, 6 on h1' });
});

test('an unknown metric is a bug in the bench, said by name', (t) => {
  t.is(growthLabel('cold', 8, 80), 'cold apply, 8 hosts (80 containers)');
  t.throws(() => growthLabel('warm', 8, 80), { message: 'unknown growth metric warm' });
});

const row = (metric: string, hosts: number, peer: string, samples: number[], unit?: string) => ({
  workload: growthLabel(metric, hosts, hosts * 10),
  peer,
  samples,
  hosts,
  metric,
  ...(unit ? { unit } : {}),
});
const rows = [
  row('cold', 3, 'floor', [4]),
  row('cold', 3, 'stack', [5, 4, 3]),
  row('cold', 3, 'stack, own overlay', [3]),
  row('cold', 3, 'swarm', [6]),
  row('noop', 3, 'stack', [0.3]),
  row('noop', 3, 'swarm', [0.2]),
  row('noop', 3, 'stack, own overlay, daemon', [0.1]),
  row('calls', 3, 'stack', [6], 'calls'),
  row('rss', 3, 'stack', [80.4], 'MB'),
  row('cold', 16, 'stack', [20]),
  {
    workload: 'plan 10000 containers / 100 hosts, 10% drift',
    peer: 'stack',
    samples: [0.4],
    unit: 'ms',
    metric: 'plan',
  },
];

test('the summary table: one line per host count, medians side by side, the ratios', (t) => {
  const lines = growthTable(rows).split('\n');
  t.is(lines.length, 4, 'a header, its rule, 3 and 16 hosts');
  t.is(
    lines[2],
    '| 3 | 30 | 4.00 s | 4.00 s | 1.00× | 3.00 s | 6.00 s | 0.50× | – | 0.30 s | – | 0.10 s | 0.20 s | – | 0.50× | 6 | 80 MB |',
  );
  t.true(lines[3].startsWith('| 16 | 160 | – | 20.00 s | – |'), lines[3]);
});

test("the plot's points are medians per metric, peer and host count; three panels over them", (t) => {
  const result = { when: '2026-12-06T08:00:00.000Z', reps: 3, perHost: 10, hostCounts: [3, 16], rows };
  const p = points(result) as { metric: string; peer: string; hosts: number; value: number }[];
  t.deepEqual(
    p.find((x) => x.metric === 'cold' && x.peer === 'stack' && x.hosts === 3),
    { metric: 'cold', peer: 'stack', hosts: 3, value: 4 },
  );
  t.false(p.some((x) => x.metric === 'plan' || x.metric === 'rss'));
  const spec = growthSpec(result) as { hconcat: { transform: { filter: { equal: string } }[] }[] };
  t.deepEqual(
    spec.hconcat.map((panel) => panel.transform[0].filter.equal),
    ['cold', 'noop', 'calls'],
  );
});

test('growth: bad options, one line and exit 1 before any host is touched', (t) => {
  for (const [argv, re] of [
    [
      ['--hosts', '3,40'],
      /^growth: --hosts must be host counts from 2 to 16, comma-separated \(e\.g\. 3,8,16\), got 3,40\n$/,
    ],
    [['--reps', '0'], /^growth: --reps must be a positive whole number, got 0\n$/],
    [['--nope'], /^growth: Unknown option '--nope'/],
  ] as const) {
    const r = spawnSync(process.execPath, [join(repo, 'bench', 'growth.mjs'), ...argv], {
      cwd: repo,
      encoding: 'utf8',
    });
    t.is(r.status, 1, argv.join(' '));
    t.regex(r.stderr, re);
  }
});

test('growth on a machine without docker-compose: exit 1, one line per missing command', (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'growth-path-'));
  const r = spawnSync(process.execPath, [join(repo, 'bench', 'growth.mjs')], {
    cwd: repo,
    encoding: 'utf8',
    env: { PATH: empty, HOME: process.env.HOME ?? '/root' },
  });
  t.is(r.status, 1, r.stderr);
  t.regex(r.stderr, /^bench: missing docker-compose \(v1, a peer\): apt-get install -y docker-compose/m);
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
});
