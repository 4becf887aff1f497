/** The bench table's ratios (issue 21): a row on Engine 28 compares with Swarm on Engine 28, the others with Swarm on 20.10. */
import test from 'ava';
import { markdownTable } from '../../../bench/lib/report.mjs';

test('× swarm is to Swarm on the same engine; × stack to stack on 20.10', (t) => {
  const w = '1 cold apply 10×3';
  const table = markdownTable([
    { workload: w, peer: 'stack', samples: [6] },
    { workload: w, peer: 'stack, own overlay', samples: [5] },
    { workload: w, peer: 'swarm', samples: [10] },
    { workload: w, peer: 'stack, own overlay (Engine 28)', samples: [4], engine: '28' },
    { workload: w, peer: 'swarm (Engine 28)', samples: [2], engine: '28' },
  ]);
  const cols = (peer: string) =>
    table
      .split('\n')
      .find((l) => l.startsWith(`| ${w} | ${peer} |`))!
      .split(' | ')
      .slice(6, 8);
  t.deepEqual(cols('stack, own overlay'), ['0.83×', '0.50×']);
  t.deepEqual(cols('swarm'), ['1.67×', '1.00×']);
  t.deepEqual(cols('stack, own overlay (Engine 28)'), ['0.67×', '2.00×']);
  t.deepEqual(cols('swarm (Engine 28)'), ['0.33×', '1.00×']);
});
