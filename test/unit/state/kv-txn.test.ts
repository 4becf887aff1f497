import test from 'ava';
import { prunedOf, pruneTxns, recordTxn, releaseTxn } from '../../../src/state/kv-txn.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test("recordTxn: the chunks in the writer's folder, then the manifest with check-and-set 0, values base64", (t) => {
  const ops = recordTxn('stack/s/revisions/0000000003/', 'chunks-abc', ['c0', 'c1'], '{"m":1}');
  t.deepEqual(ops, [
    { KV: { Verb: 'set', Key: 'stack/s/revisions/0000000003/chunks-abc/0', Value: b64('c0') } },
    { KV: { Verb: 'set', Key: 'stack/s/revisions/0000000003/chunks-abc/1', Value: b64('c1') } },
    { KV: { Verb: 'cas', Key: 'stack/s/revisions/0000000003/manifest', Value: b64('{"m":1}'), Index: 0 } },
  ]);
});

test("pruneTxns: each revision's manifest and folder in the same transaction, at most 64 operations each", (t) => {
  t.deepEqual(pruneTxns('s', []), []);
  t.deepEqual(pruneTxns('s', [4]), [
    [
      { KV: { Verb: 'delete', Key: 'stack/s/revisions/0000000004/manifest' } },
      { KV: { Verb: 'delete-tree', Key: 'stack/s/revisions/0000000004/' } },
    ],
  ]);
  const many = pruneTxns(
    's',
    Array.from({ length: 70 }, (_, i) => i + 1),
  );
  t.deepEqual(
    many.map((ops) => ops.length),
    [64, 64, 12],
  );
  t.is(many[2][0].KV.Key, 'stack/s/revisions/0000000065/manifest');
  t.deepEqual(
    pruneTxns('s', [1, 2, 3], 4).map((ops) => ops.length),
    [4, 2],
  );
});

test('releaseTxn: deletes the lock key only while the session holds it', (t) => {
  t.deepEqual(releaseTxn('stack/s/lock', 'sess-1'), [
    { KV: { Verb: 'check-session', Key: 'stack/s/lock', Session: 'sess-1' } },
    { KV: { Verb: 'delete', Key: 'stack/s/lock' } },
  ]);
});

test('prunedOf: the oldest beyond keep; keep is at least 1', (t) => {
  t.deepEqual(prunedOf([1, 2, 3, 4], 2), [1, 2]);
  t.deepEqual(prunedOf([1, 2], 5), []);
  t.deepEqual(prunedOf([1, 2, 3], 0), [1, 2]);
  t.deepEqual(prunedOf([], 1), []);
});
