/** When apply takes its read-only look before the lock: only when the newest revision is an ok apply of this very stack. */
import test from 'ava';
import { sameAsLatest } from '../../../src/deploy/look.js';
import { buildRevision } from '../../../src/state/revision.js';
import type { Plan } from '../../../src/plan/types.js';
import { desired, service } from '../plan/helpers.js';
import { PUBLIC_TEST_KEY } from '../../../src/sensitive.js';

const plan = {
  stack: 's',
  hosts: [],
  operations: [],
  changes: [],
  compensations: [],
  placement: {},
  rollouts: [],
  diagnostics: [],
} as unknown as Plan;
const v = (n: string) => desired([service('web', { environment: { V: n } })]);
const revision = (
  d: ReturnType<typeof v>,
  over: { result?: 'ok' | 'failed' | 'interrupted'; kind?: 'apply' | 'destroy' } = {},
) => {
  const { desired: _d, ...summary } = buildRevision({
    number: 1,
    desired: d,
    plan,
    result: over.result ?? 'ok',
    kind: over.kind,
    command: 'apply',
    who: 'me',
    when: new Date(0),
    hashKey: PUBLIC_TEST_KEY,
  });
  return summary;
};

test('the same stack as the newest ok apply: look first (a no-op is likely)', (t) => {
  t.true(sameAsLatest(v('1'), revision(v('1')), PUBLIC_TEST_KEY));
});

test('no revision, a changed stack, a failed or interrupted last apply, or a destroy: lock at once', (t) => {
  t.false(sameAsLatest(v('1'), undefined, PUBLIC_TEST_KEY));
  t.false(sameAsLatest(v('2'), revision(v('1')), PUBLIC_TEST_KEY));
  t.false(sameAsLatest(v('1'), revision(v('1'), { result: 'failed' }), PUBLIC_TEST_KEY));
  t.false(sameAsLatest(v('1'), revision(v('1'), { result: 'interrupted' }), PUBLIC_TEST_KEY));
  t.false(sameAsLatest(v('1'), revision(v('1'), { kind: 'destroy' }), PUBLIC_TEST_KEY));
});
