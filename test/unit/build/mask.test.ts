/** Build output masks the values of sensitive build args, whole, wherever they appear; other args show. */
import test from 'ava';
import { masker } from '../../../src/build/mask.js';

test('sensitive args are masked in every occurrence, longest first; others are kept', (t) => {
  const mask = masker({
    args: { API_TOKEN: 'abc', DB_PASSWORD: 'abcdef', GREETING: 'hello' },
    sensitiveArgs: ['API_TOKEN', 'DB_PASSWORD'],
  });
  t.is(mask('token=abc pw=abcdef hello abc'), 'token=(sensitive) pw=(sensitive) hello (sensitive)');
  t.is(masker({ args: { A: 'x' } })('x'), 'x');
});
