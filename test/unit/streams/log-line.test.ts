/** Log lines: the daemon's timestamp as a sort key, the Engine's `since` after a line, a stable merge. */
import test from 'ava';
import { byTime, parseStamped, sinceOf, type LogLine } from '../../../src/streams/log-line.js';

test('a timestamp with fewer fraction digits sorts by time, not by text', (t) => {
  const a = parseStamped('2026-12-06T00:00:01.5Z half');
  const b = parseStamped('2026-12-06T00:00:01.123456789Z earlier');
  t.is(a.key, '2026-12-06T00:00:01.500000000Z');
  t.is(a.time, '2026-12-06T00:00:01.5Z');
  t.is(a.text, 'half');
  t.true(b.key < a.key);
  t.is(parseStamped('2026-12-06T00:00:01Z whole').key, '2026-12-06T00:00:01.000000000Z');
});

test('a line without a timestamp keeps its text and sorts first', (t) => {
  t.deepEqual(parseStamped('no time here'), { time: '', key: '', text: 'no time here' });
});

test('since after a line is its unix seconds with the nanoseconds', (t) => {
  t.is(sinceOf('2026-12-06T00:00:01.000000042Z'), `${Date.UTC(2026, 11, 6, 0, 0, 1) / 1000}.000000042`);
});

test('byTime is stable: equal keys keep their order', (t) => {
  const line = (key: string, text: string): LogLine => ({
    replica: { service: 's', slot: '1', host: 'h', id: 'x' },
    stream: 'stdout',
    time: key,
    key,
    text,
  });
  const sorted = byTime([line('b', '1'), line('a', '2'), line('b', '3'), line('a', '4')]);
  t.deepEqual(
    sorted.map((l) => l.text),
    ['2', '4', '1', '3'],
  );
});
