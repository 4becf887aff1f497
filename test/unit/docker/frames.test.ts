/** The Engine's stream format: frames split at any chunk boundary, raw TTY bytes, lines cut per stream. */
import test from 'ava';
import { FrameParser, LineSplitter, sniffMultiplexed } from '../../../src/docker/frames.js';

const frame = (kind: number, data: Buffer): Buffer => {
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
};

test('frames are split into stdout and stderr byte for byte, whatever the chunk boundaries', (t) => {
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const all = Buffer.concat([frame(1, binary), frame(2, Buffer.from('oops\n')), frame(1, Buffer.alloc(0))]);
  for (const size of [1, 3, 7, 8, 9, 100, all.length]) {
    const parser = new FrameParser(false);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    for (let i = 0; i < all.length; i += size)
      for (const f of parser.push(all.subarray(i, i + size))) (f.stream === 'stderr' ? err : out).push(f.data);
    t.deepEqual(Buffer.concat(out), binary, `chunks of ${size}`);
    t.is(Buffer.concat(err).toString(), 'oops\n');
    t.is(parser.leftover, 0);
  }
});

test('a raw (TTY) stream passes through as stdout', (t) => {
  const parser = new FrameParser(true);
  t.deepEqual(parser.push(Buffer.from('\x01\x00abc')), [{ stream: 'stdout', data: Buffer.from('\x01\x00abc') }]);
});

test('the format is sniffed from the first four bytes', (t) => {
  t.is(sniffMultiplexed(Buffer.from([1, 0, 0])), undefined);
  t.true(sniffMultiplexed(frame(2, Buffer.from('x'))));
  t.false(sniffMultiplexed(Buffer.from('2026-12-06T00:00:00Z hi\n')));
});

test('lines are cut at newlines, a multi-byte character split across chunks stays whole, CR is dropped', (t) => {
  const s = new LineSplitter();
  const text = Buffer.from('añb\r\nsecond\nthird');
  t.deepEqual(s.push(text.subarray(0, 2)), []); // "a" and the first byte of "ñ"
  t.deepEqual(s.push(text.subarray(2)), ['añb', 'second']);
  t.deepEqual(s.flush(), ['third']);
  t.deepEqual(s.flush(), []);
});
