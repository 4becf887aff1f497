import test from 'ava';
import { observeHints } from '../../../src/deploy/run.js';
import type { RevisionSummary } from '../../../src/state/types.js';

const summary = (over: Partial<RevisionSummary> = {}): RevisionSummary => ({
  number: 4,
  hash: 'h',
  result: 'ok',
  command: 'apply',
  who: 'me@here',
  when: '2026-12-07T00:00:00Z',
  plan: { create: 1, replace: 0, update: 0, remove: 0, operations: 1 },
  ...over,
});

test('observeHints: no revision yet is a cold start; a destroy too; an apply hints its API versions', (t) => {
  t.deepEqual(observeHints(undefined), {}, 'the store could not say: no hint, not cold');
  t.deepEqual(observeHints({}), { apiHints: undefined, coldStart: true }, 'no revision: cold');
  t.deepEqual(observeHints({ latest: summary({ kind: 'destroy', apiVersions: { h1: '1.41' } }) }), {
    apiHints: { h1: '1.41' },
    coldStart: true,
  });
  t.deepEqual(observeHints({ latest: summary({ apiVersions: { h1: '1.41', h2: '1.47' } }) }), {
    apiHints: { h1: '1.41', h2: '1.47' },
    coldStart: false,
  });
  t.deepEqual(observeHints({ latest: summary({ result: 'failed' }) }), { apiHints: undefined, coldStart: false });
});
