/** Clock readings (pure): SystemTime parsed to the nanosecond's millisecond, the midpoint offset, skew against the median. */
import test from 'ava';
import { clockReading, parseSystemTime, skews, skewTooLarge, SKEW_WARNING_MS } from '../../../src/hosts/clock.js';

test('SystemTime as dockerd writes it (nanoseconds, Z or an offset) → ms since the epoch; anything else → undefined', (t) => {
  const base = Date.UTC(2026, 11, 6, 0, 1, 41);
  t.is(parseSystemTime('2026-12-06T00:01:41.917922396Z'), base + 917.922396);
  t.is(parseSystemTime('2026-12-06T00:01:41Z'), base);
  t.is(parseSystemTime('2026-12-06T01:01:41.5+01:00'), base + 500);
  for (const bad of ['', 'yesterday', '2026-12-06 00:01:41Z', '2026-12-06T00:01:41.1234567890Z', 42, null, undefined])
    t.is(parseSystemTime(bad), undefined, String(bad));
});

test('the offset is the host time minus the local midpoint of the request, ± half its round trip', (t) => {
  t.deepEqual(clockReading(1_000_250, 1_000_000, 1_000_100), { offsetMs: 200, uncertaintyMs: 50 });
  t.deepEqual(clockReading(999_950, 1_000_000, 1_000_100), { offsetMs: -100, uncertaintyMs: 50 });
});

test('skew against the others: offset minus the median offset, so one host off stands out whatever the local clock', (t) => {
  const r = (offsetMs: number) => ({ offsetMs, uncertaintyMs: 1 });
  // This machine is 5 s behind every host; h3 is 3 s ahead of the others.
  t.deepEqual(skews({ h1: r(5000), h2: r(5010), h3: r(8000), h4: r(4990) }), { h1: -5, h2: 5, h3: 2995, h4: -15 });
  t.deepEqual(skews({ only: r(123) }), { only: 0 });
  t.deepEqual(skews({}), {});
});

test('a skew is too large only beyond the warning threshold plus the reading uncertainty', (t) => {
  t.false(skewTooLarge(SKEW_WARNING_MS, 0));
  t.true(skewTooLarge(SKEW_WARNING_MS + 1, 0));
  t.false(skewTooLarge(-(SKEW_WARNING_MS + 40), 50));
  t.true(skewTooLarge(-(SKEW_WARNING_MS + 60), 50));
});
