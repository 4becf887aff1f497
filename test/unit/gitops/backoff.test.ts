/** The back-off after failed applies: doubling from the base, capped, reset by a success. */
import test from 'ava';
import { Backoff, backoffDelay } from '../../../src/gitops/backoff.js';

const policy = { baseMs: 1000, capMs: 10_000 };

test('the n-th failure in a row waits base·2^(n-1), never more than the cap', (t) => {
  t.deepEqual(
    [0, 1, 2, 3, 4, 5, 60].map((n) => backoffDelay(n, policy)),
    [0, 1000, 2000, 4000, 8000, 10_000, 10_000],
  );
});

test('Backoff: not ready until its wait has passed at the injected time; a success resets it', (t) => {
  const b = new Backoff(policy);
  t.true(b.ready(0));
  t.is(b.failed(100), 1000);
  t.false(b.ready(1099));
  t.true(b.ready(1100));
  t.is(b.failed(1100), 2000);
  t.is(b.count, 2);
  t.is(b.notBeforeTime, 3100);
  t.false(b.ready(3000));
  b.succeeded();
  t.is(b.count, 0);
  t.true(b.ready(0));
  t.is(b.failed(0), 1000);
});
