/**
 * deploy.placement.max_replicas_per_node: no host holds more of a service's replicas than the limit, a replica over it
 * moves, and more replicas than the eligible hosts can hold is refused before any write, saying what to change.
 */
import test from 'ava';
import { place } from '../../../src/plan/placement.js';
import { reconcile } from '../../../src/plan/index.js';
import { desired, observedEmpty, service, simulate } from './helpers.js';
import { load } from '../stack/helpers.js';

const countBy = (placed: Record<string, string>) => {
  const out: Record<string, number> = {};
  for (const h of Object.values(placed)) out[h] = (out[h] ?? 0) + 1;
  return out;
};

test('replicas spread with at most the limit per host', (t) => {
  const d = desired([service('web', { deploy: { replicas: 5, maxReplicasPerNode: 2 } })]);
  const { placement, diagnostics } = place(d, observedEmpty(d), new Set(['h1', 'h2', 'h3']));
  t.deepEqual(diagnostics, []);
  t.true(Object.values(countBy(placement.web)).every((n) => n <= 2));
  t.is(Object.keys(placement.web).length, 5);
});

test('a lower limit moves the replicas over it, and only those', (t) => {
  const before = desired([service('web', { deploy: { replicas: 3, constraints: [] } })]);
  before.hosts = before.hosts.slice(0, 2);
  // three replicas on two hosts: one host holds two
  const first = simulate(reconcile(before, observedEmpty(before)), observedEmpty(before));
  const counts = countBy(place(before, first, new Set(['h1', 'h2'])).placement.web);
  t.deepEqual(Object.values(counts).sort(), [1, 2]);
  const after = desired([service('web', { deploy: { replicas: 2, maxReplicasPerNode: 1 } })]);
  after.hosts = before.hosts;
  const { placement } = place(after, first, new Set(['h1', 'h2']));
  t.deepEqual(countBy(placement.web), { h1: 1, h2: 1 });
});

test('more replicas than the eligible hosts can hold is an error at the key, with what to change', (t) => {
  const d = desired([service('web', { deploy: { replicas: 7, maxReplicasPerNode: 2 } })]);
  const plan = reconcile(d, observedEmpty(d));
  const [e] = plan.diagnostics.filter((x) => x.severity === 'error');
  t.is(e.summary, 'service web: 7 replicas do not fit 2 per host on the 3 eligible hosts (h1, h2, h3)');
  t.is(e.where?.path, 'services.web.deploy.placement.max_replicas_per_node');
  t.is(e.hint, 'lower replicas to 6, raise max_replicas_per_node, or make more hosts eligible');
});

test('the loader reads it; 0 is no limit; in global mode it is ignored with a warning', async (t) => {
  const file = (deploy: string) => ({
    'compose.yaml': `services:\n  web:\n    image: busybox\n    deploy: ${deploy}\n`,
  });
  const read = await load(file('{ replicas: 4, placement: { max_replicas_per_node: 2 } }'));
  t.is(read.value?.services.web.deploy.maxReplicasPerNode, 2);
  const zero = await load(file('{ placement: { max_replicas_per_node: 0 } }'));
  t.false('maxReplicasPerNode' in zero.value!.services.web.deploy);
  const global = await load(file('{ mode: global, placement: { max_replicas_per_node: 1 } }'));
  t.regex(global.diagnostics.map((d) => d.summary).join('\n'), /max_replicas_per_node is ignored in global mode/);
  t.false('maxReplicasPerNode' in global.value!.services.web.deploy);
});
