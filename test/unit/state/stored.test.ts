/**
 * What stack reads back from its state store is validated before use: a poisoned lock value, manifest, chunk,
 * record or catalog entry is an error naming the key (the lock value: an unknown holder naming the key), never used.
 */
import { deflateSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import test from 'ava';
import { parseLockValue } from '../../../src/state/consul-store.js';
import { decodeRevision, encodeRevision } from '../../../src/state/revision-codec.js';
import {
  MAX_RECORD_BYTES,
  parseCatalogNode,
  parseJson,
  parseManifest,
  StoredDataError,
} from '../../../src/state/stored.js';
import type { RevisionManifest } from '../../../src/state/types.js';
import { revisionRecord } from '../../helpers/revision-record.js';

const record = (number = 4, name = 's') =>
  revisionRecord(number, { name, services: { web: { image: 'x' } }, when: '2026-01-01T00:00:00.000Z' });

const KEY = 'stack/s/revisions/0000000004/manifest';

test('a lock value with control characters, wrong types or not JSON is shown as an unknown holder naming the key, none of its fields used', (t) => {
  const good = parseLockValue(
    's',
    JSON.stringify({ stack: 's', user: 'ann', machine: 'm', command: 'apply', since: 'now', pid: 7 }),
    'sess',
  );
  t.is(good.user, 'ann');
  t.is(good.id, 'sess');
  for (const poisoned of [
    JSON.stringify({
      stack: 's',
      user: 'ann\u001b]0;pwned\u0007',
      machine: 'm',
      command: 'apply',
      since: 'now',
      pid: 7,
    }),
    JSON.stringify({ stack: 's', user: 'ann', machine: 'm', command: 'x'.repeat(5000), since: 'now', pid: 7 }),
    JSON.stringify({ stack: 's', user: ['ann'], machine: 'm', command: 'apply', since: 'now', pid: '7; rm -rf /' }),
    '{"stack":',
    'x'.repeat(70 * 1024),
  ]) {
    const h = parseLockValue('s', poisoned, 'sess');
    t.is(h.user, 'unknown');
    t.is(h.pid, 0);
    t.regex(h.command, /the value of stack\/s\/lock is not a lock record/);
    // eslint-disable-next-line no-control-regex -- the escape codes a terminal gets are what is tested
    t.false(/\u001b|pwned|rm -rf/.test(JSON.stringify(h)));
  }
});

test('a manifest is validated: its number, its chunk folder (no path in a key), its sizes; each failure names the key', (t) => {
  const { manifest } = encodeRevision(record());
  t.deepEqual(parseManifest(KEY, JSON.parse(JSON.stringify(manifest)), 4), manifest);
  const withApis = { ...manifest, apiVersions: { h1: '1.41', h2: '1.51' } };
  t.deepEqual(parseManifest(KEY, withApis, 4), withApis, 'the API versions an apply spoke to its hosts at');
  const bad: [Partial<RevisionManifest> | Record<string, unknown>, RegExp][] = [
    [{ chunkDir: '../../other-stack/revisions/0000000001/chunks' }, /chunkDir must match pattern/],
    [{ chunks: 100_000 }, /chunks must be <= 100/],
    [{ bytes: MAX_RECORD_BYTES + 1 }, /bytes must be <=/],
    [{ result: 'ok; rm -rf /' }, /result must be equal to one of the allowed values/],
    [{ who: 'me\u001b[2J' }, /who must match pattern/],
    [{ number: 5 }, /says revision 5, but is stored as revision 4/],
    [{ sha256: 'zz' }, /sha256 must match pattern/],
    [{ apiVersions: { h1: '1.41; rm -rf /' } }, /apiVersions\.h1 must match pattern/],
    [{ apiVersions: { h1: 41 } as unknown as Record<string, string> }, /apiVersions\.h1 must be string/],
  ];
  for (const [change, message] of bad) {
    const err = t.throws(() => parseManifest(KEY, { ...manifest, ...change }, 4), { instanceOf: StoredDataError });
    t.is(err?.key, KEY);
    t.regex(err.message, message);
  }
  t.throws(() => parseJson(KEY, 'not json'), { instanceOf: StoredDataError, message: /manifest: is not JSON/ });
  t.throws(() => parseJson(KEY, null), { instanceOf: StoredDataError, message: /has no value/ });
});

test('chunks are validated against the manifest and the record against its schema, manifest and hash; errors name the key', (t) => {
  const { manifest, chunks } = encodeRevision(record());
  t.deepEqual(decodeRevision(manifest, chunks, KEY), record());
  // A record whose summary differs from its manifest (a consistent but forged pair of manifest and chunk).
  const forge = (value: unknown, encoding: 'json' | 'zlib' = 'json') => {
    const body =
      encoding === 'zlib' ? deflateSync(Buffer.from(JSON.stringify(value))) : Buffer.from(JSON.stringify(value));
    const m: RevisionManifest = {
      ...manifest,
      encoding,
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
    };
    return () => decodeRevision(m, [body.toString('base64')], KEY);
  };
  t.throws(forge({ ...record(), number: 9 }), { instanceOf: StoredDataError, message: /does not match its manifest/ });
  t.throws(forge({ ...record(), desired: { ...record().desired, services: { web: { image: 'y' } } } }), {
    instanceOf: StoredDataError,
    message: /does not hash to the hash it records/,
  });
  t.throws(forge({ ...record(), desired: { ...record().desired, name: '../x' } }), {
    instanceOf: StoredDataError,
    message: /desired\.name must match pattern/,
  });
  t.throws(forge({ ...record(), desired: 'x' }), { instanceOf: StoredDataError, message: /desired must be object/ });
  // A zlib bomb: a small chunk that inflates past the cap.
  const bomb = deflateSync(Buffer.alloc(MAX_RECORD_BYTES + 1024, 32));
  const m: RevisionManifest = {
    ...manifest,
    encoding: 'zlib',
    bytes: bomb.length,
    sha256: createHash('sha256').update(bomb).digest('hex'),
  };
  const err = t.throws(() => decodeRevision(m, [bomb.toString('base64')], KEY), { instanceOf: StoredDataError });
  t.regex(err.message, /stack\/s\/revisions\/0000000004\/manifest: its record is not JSON or inflates to more than/);
});

test('a catalog node read back: service IDs, names and meta must be text; a poisoned one names the node', (t) => {
  t.deepEqual(parseCatalogNode('catalog node stack-h1', null), null);
  t.truthy(
    parseCatalogNode('catalog node stack-h1', { Services: { a: { ID: 'a', Service: 's-a', Meta: { stack: 's' } } } }),
  );
  t.throws(() => parseCatalogNode('catalog node stack-h1', { Services: { a: { ID: 7, Service: 's-a' } } }), {
    instanceOf: StoredDataError,
    message: /catalog node stack-h1: Services\.a\.ID must be string/,
  });
  t.throws(() => parseCatalogNode('catalog node stack-h1', { Services: { a: { ID: 'a' } } }), {
    instanceOf: StoredDataError,
    message: /catalog node stack-h1: Services\.a must have required property 'Service'/,
  });
  t.throws(
    () =>
      parseCatalogNode('catalog node stack-h1', {
        Services: { a: { ID: 'a', Service: 's-a', Meta: { stack: { $ne: 1 } } } },
      }),
    { instanceOf: StoredDataError, message: /catalog node stack-h1: Services\.a\.Meta\.stack must be string/ },
  );
});
