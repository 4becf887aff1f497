/** Engine API versions: parsed from a daemon's answer (validated), compared, and negotiated per host. */
import test from 'ava';
import {
  MAX_API,
  MIN_API,
  apiAtLeast,
  describeApi,
  formatApiVersion,
  negotiateApi,
  parseApiVersion,
} from '../../../src/docker/api-version.js';

const v = (text: string) => parseApiVersion(text)!;

test('a version parses from major.minor only; anything else a daemon says is no version', (t) => {
  t.deepEqual(parseApiVersion('1.44'), { major: 1, minor: 44 });
  t.deepEqual(parseApiVersion(' 1.51 '), { major: 1, minor: 51 });
  for (const bad of ['', '1', '1.44.0', 'v1.44', '1.x', '../1.44', 44, null, undefined, { major: 1, minor: 44 }])
    t.is(parseApiVersion(bad), undefined, JSON.stringify(bad));
});

test('versions compare by number, not as text (1.9 is older than 1.41)', (t) => {
  t.true(apiAtLeast(v('1.44'), v('1.44')));
  t.true(apiAtLeast(v('1.51'), v('1.44')));
  t.false(apiAtLeast(v('1.41'), v('1.44')));
  t.false(apiAtLeast(v('1.9'), v('1.41')));
  t.is(formatApiVersion(v('1.45')), '1.45');
});

test('Engine 20.10 is spoken to at 1.41, Engine 28 at 1.51, a newer Engine at the newest stack knows', (t) => {
  t.deepEqual(negotiateApi(v('1.41'), v('1.12')), { ok: true, version: v('1.41') });
  t.deepEqual(negotiateApi(v('1.51'), v('1.24')), { ok: true, version: v('1.51') });
  t.deepEqual(negotiateApi(v('1.47'), undefined), { ok: true, version: v('1.47') });
  t.deepEqual(negotiateApi(v('1.53'), v('1.24')), { ok: true, version: MAX_API });
});

test('a daemon older than API 1.41, or one that no longer accepts 1.51, is refused with why', (t) => {
  const old = negotiateApi(v('1.40'), v('1.12'));
  t.false(old.ok);
  t.regex(!old.ok ? old.reason : '', /Engine API 1\.40 is older than API 1\.41 \(Engine 20\.10\)/);
  const tooNew = negotiateApi(v('1.60'), v('1.52'));
  t.false(tooNew.ok);
  t.regex(!tooNew.ok ? tooNew.reason : '', /accepts API 1\.52 and newer only; stack speaks up to 1\.51/);
});

test('messages name the Engine release a version came with', (t) => {
  t.is(describeApi(MIN_API), 'API 1.41 (Engine 20.10)');
  t.is(describeApi(v('1.44')), 'API 1.44 (Engine 25.0)');
  t.is(describeApi(v('1.45')), 'API 1.45 (Engine 26.0)');
  t.is(describeApi(v('1.48')), 'API 1.48 (Engine 28.0)');
  t.is(describeApi(v('1.46')), 'API 1.46');
});
