/** The fence: open until the lock is lost, then every write is refused before it is sent, and never retried. */
import test from 'ava';
import { fenceOf, FencedError, isFenced, UNFENCED } from '../../../src/fence.js';
import { classify, withRetries } from '../../../src/docker/faults.js';

test('a fence refuses writes once its lock is lost, naming the write and the reason', (t) => {
  const lost = new AbortController();
  const fence = fenceOf(lost.signal);
  t.notThrows(() => fence.check('create container a'));
  lost.abort(new Error('lost the lock on stack s: session x expired (ECONNRESET)'));
  const err = t.throws(() => fence.check('create container a'), { instanceOf: FencedError });
  t.is(err?.message, 'not sent (create container a): lost the lock on stack s: session x expired (ECONNRESET)');
  t.true(isFenced(new Error('wrapped', { cause: err })));
  t.notThrows(() => UNFENCED.check('anything'));
});

test('a refused write is a definite answer: never retried, whatever its reason says', async (t) => {
  const refused = new FencedError('start container a', 'lost the lock: socket hang up, ECONNRESET');
  t.is(classify(refused), 'definite');
  let attempts = 0;
  await t.throwsAsync(
    withRetries(
      async () => {
        attempts++;
        throw refused;
      },
      { retries: 3, unreachableRetries: 2, baseDelayMs: 1, maxDelayMs: 1 },
    ),
    { instanceOf: FencedError },
  );
  t.is(attempts, 1);
});
