/** post_start / pre_stop in plans: start and stop ops carry the hooks; hooks are not in the config hash. */
import test from 'ava';
import { planText, reconcile } from '../../../src/plan/index.js';
import type { LifecycleHook } from '../../../src/stack/types.js';
import { desired, observedEmpty, paramsOf, service, simulate } from './helpers.js';

const hook = (over: Partial<LifecycleHook> = {}): LifecycleHook => ({
  command: ['sh', '-c', 'echo up > /tmp/up'],
  privileged: false,
  environment: {},
  sensitive: [],
  ...over,
});

test('a new replica starts with its post_start hooks; the plan shows them; sensitive values are masked', (t) => {
  const d = desired([
    service('web', {
      postStart: [hook({ environment: { A: '1', DB_PASSWORD: 'hunter2' }, sensitive: ['DB_PASSWORD'] })],
    }),
  ]);
  const plan = reconcile(d, observedEmpty(d));
  const starts = plan.operations.filter((o) => o.kind === 'container.start');
  t.true(starts.length > 0);
  for (const start of starts) {
    t.regex(start.id, /start \S+ \(post_start: 1 hook\)$/);
    const [exec] = paramsOf(start).postStart;
    t.deepEqual(exec.Cmd, ['sh', '-c', 'echo up > /tmp/up']);
    t.deepEqual(JSON.parse(JSON.stringify(exec.Env)), ['A=1', 'DB_PASSWORD=(sensitive)']);
  }
  const text = planText(plan, { operations: true });
  t.regex(text, /\(post_start: 1 hook\)/);
  t.false(JSON.stringify(plan).includes('hunter2'));
});

test('hooks are not in the config hash: adding one to a running service changes nothing', (t) => {
  const before = desired([service('web')]);
  const running = simulate(reconcile(before, observedEmpty(before)), observedEmpty(before));
  const after = desired([service('web', { postStart: [hook()], preStop: [hook({ command: ['true'] })] })]);
  t.deepEqual(reconcile(after, running).operations, []);
});

test('a replaced replica: the old one stops after its pre_stop hooks, the new one starts with its post_start', (t) => {
  const hooks = { postStart: [hook()], preStop: [hook({ command: ['sh', '-c', 'echo bye'] })] };
  const v1 = desired([service('web', { ...hooks, environment: { V: '1' } })]);
  const running = simulate(reconcile(v1, observedEmpty(v1)), observedEmpty(v1));
  const plan = reconcile(desired([service('web', { ...hooks, environment: { V: '2' } })]), running);
  const stops = plan.operations.filter((o) => o.kind === 'container.stop');
  t.true(stops.length > 0);
  t.true(
    stops.every((o) => paramsOf(o).preStop?.[0].Cmd.join(' ') === 'sh -c echo bye'),
    JSON.stringify(stops),
  );
  t.true(stops.every((o) => o.id.endsWith('(pre_stop: 1 hook)')));
  const starts = plan.operations.filter((o) => o.kind === 'container.start');
  t.true(starts.length > 0 && starts.every((o) => paramsOf(o).postStart?.length === 1));
});

test('scale-down stops the removed replica after its pre_stop hooks', (t) => {
  const preStop = [hook({ command: ['true'] })];
  const two = desired([service('web', { preStop, deploy: { replicas: 2 } })]);
  const running = simulate(reconcile(two, observedEmpty(two)), observedEmpty(two));
  const plan = reconcile(desired([service('web', { preStop, deploy: { replicas: 1 } })]), running);
  const stops = plan.operations.filter((o) => o.kind === 'container.stop');
  t.is(stops.length, 1);
  t.deepEqual(paramsOf(stops[0]).preStop[0].Cmd, ['true']);
});

test('destroy stops each container after the pre_stop hooks the file gives its service', (t) => {
  const d = desired([service('web', { preStop: [hook({ command: ['true'] })] })]);
  const running = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  const plan = reconcile(d, running, { destroy: true });
  const stops = plan.operations.filter((o) => o.kind === 'container.stop');
  t.true(stops.length > 0);
  t.true(stops.every((o) => paramsOf(o).preStop?.[0].Cmd[0] === 'true'));
});
