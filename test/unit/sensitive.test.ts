import test from 'ava';
import { inspect, format } from 'node:util';
import { createHash } from 'node:crypto';
import { HashKey, keyedHash, MASK, Sensitive, revealed } from '../../src/sensitive.js';
import { globPattern, sensitiveNames, sensitiveRule } from '../../src/stack/sensitive-names.js';

const VALUE = 'hunter2-f00d';

test('a Sensitive prints as (sensitive) every way it can be printed, and reveals only on request', (t) => {
  const s = Sensitive.of(VALUE).prefixed('DB_PASSWORD=');
  const outputs = [
    JSON.stringify({ Env: [s] }),
    String(s),
    `${String(s)}` + s.toString(),
    inspect({ deep: { s } }, { depth: 5, showHidden: true }),
    format('%s %o %O %j', s, s, s, s),
    JSON.stringify(structuredClone({ x: 1 })),
  ];
  for (const out of outputs) t.false(out.includes(VALUE), out);
  t.is(JSON.stringify(s), `"DB_PASSWORD=${MASK}"`);
  t.is(s.reveal(), `DB_PASSWORD=${VALUE}`);
  t.is(revealed(s), `DB_PASSWORD=${VALUE}`);
  t.is(revealed('A=b'), 'A=b');
  t.deepEqual(Object.keys(s), []);
});

test('a hash key: 32 bytes, base64 in the store, never printed; its HMAC differs from the plain sha256 and by key', (t) => {
  const key = HashKey.random();
  const back = HashKey.decode(key.encode());
  t.truthy(back);
  t.is(keyedHash(back!, VALUE), keyedHash(key, VALUE));
  t.not(keyedHash(HashKey.random(), VALUE), keyedHash(key, VALUE));
  t.regex(keyedHash(key, VALUE), /^hmac:[0-9a-f]{64}$/);
  t.false(keyedHash(key, VALUE).includes(createHash('sha256').update(VALUE).digest('hex')));
  t.is(JSON.stringify({ key }), `{"key":"${MASK}"}`);
  t.false(inspect(key).includes(key.encode()));
  t.is(HashKey.decode('short'), undefined);
  t.is(HashKey.decode(`${'A'.repeat(42)}==`), undefined);
  t.throws(() => new HashKey(Buffer.alloc(8)));
});

test('sensitive names: the usual patterns, case-insensitive; x-stack.sensitive globs; secret sources', (t) => {
  const rule = sensitiveRule({
    patterns: ['DATABASE_URL', '*_dsn'],
    secretVariables: new Map([
      ['DB_PW', 'p4ss-w0rd'],
      ['UNSET', undefined],
    ]),
  });
  for (const name of [
    'DB_PASSWORD',
    'db_password',
    'MYSQL_ROOT_PASSWD',
    'APP_SECRET',
    'GITHUB_TOKEN',
    'AWS_SECRET_ACCESS_KEY',
    'API_KEY',
    'SSH_PRIVATE',
    'GOOGLE_CREDENTIALS',
    'database_url',
    'SENTRY_DSN',
    'DB_PW',
    'unset',
  ])
    t.true(rule(name, 'x'), name);
  for (const name of ['RELEASE', 'MODE', 'KEYBOARD', 'DATABASE_HOST', 'MONKEY']) t.false(rule(name, 'plain'), name);
  t.true(rule('CONNECTION', 'postgres://app:p4ss-w0rd@db/app'), 'a value holding a secret variable is sensitive');
  t.deepEqual(sensitiveNames({ RELEASE: 'v1', DB_PASSWORD: 'x', A: 'p4ss-w0rd' }, rule), ['A', 'DB_PASSWORD']);
  t.true(globPattern('a?c*').test('ABCdef'));
  t.false(globPattern('a.c').test('abc'));
});
