import test from 'ava';
import { parseCpus, parseDuration, parseSize } from '../../../src/stack/index.js';

test('durations to nanoseconds', (t) => {
  t.is(parseDuration('1m30s'), 90e9);
  t.is(parseDuration('500ms'), 500e6);
  t.is(parseDuration('1.5s'), 1.5e9);
  t.is(parseDuration('1h2m3s4ms5us6ns'), 3723004005006);
  t.is(parseDuration('0'), 0);
  t.is(parseDuration(10), 10e9);
  for (const bad of ['1m30', '10 s', 's', '', '-1s', 'forever']) t.is(parseDuration(bad), undefined, bad);
});

test('sizes to bytes (powers of 1024)', (t) => {
  t.is(parseSize('512m'), 512 * 1024 ** 2);
  t.is(parseSize('1g'), 1024 ** 3);
  t.is(parseSize('1GB'), 1024 ** 3);
  t.is(parseSize('2kib'), 2048);
  t.is(parseSize('1.5k'), 1536);
  t.is(parseSize('100'), 100);
  t.is(parseSize(4096), 4096);
  for (const bad of ['512 megs', 'm', '-1', '1x', '1.5']) t.is(parseSize(bad), bad === '1.5' ? 2 : undefined, bad);
});

test('CPUs to nano-CPUs', (t) => {
  t.is(parseCpus(1.5), 1.5e9);
  t.is(parseCpus('0.25'), 0.25e9);
  t.is(parseCpus('lots'), undefined);
});
