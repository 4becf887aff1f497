import test from 'ava';
import { parseEnvFile } from '../../../src/stack/env-file.js';
import { errors, find, load, where } from './helpers.js';

const lookup = (name: string) => ({ HOME: '/home/me', SHELL_ONLY: 'from-shell' })[name];

test('env file syntax: export, comments, quotes, escapes, interpolation, bare keys', (t) => {
  const text = [
    '# comment',
    '',
    'A=plain value # trailing comment',
    'export B=exported',
    "C='single ${HOME} literal'",
    'D="double\\nline ${HOME}"',
    'E=${A}-suffix',
    'F="multi',
    'line"',
    'SHELL_ONLY',
    'NOT_SET',
    'EMPTY=',
    'HASH=a#b',
  ].join('\n');
  const { values, diagnostics } = parseEnvFile(text, '.env', lookup);
  t.deepEqual(diagnostics, []);
  t.deepEqual(values, {
    A: 'plain value',
    B: 'exported',
    C: 'single ${HOME} literal',
    D: 'double\nline /home/me',
    E: 'plain value-suffix',
    F: 'multi\nline',
    SHELL_ONLY: 'from-shell',
    EMPTY: '',
    HASH: 'a#b',
  });
});

test('env file errors carry line:col', (t) => {
  const { diagnostics } = parseEnvFile('OK=1\n  1BAD=x\nQ="open\n', 'x.env', lookup);
  t.deepEqual(
    diagnostics.map((d) => [d.summary, d.where?.line, d.where?.column]),
    [
      ['this line is not NAME=VALUE: what stands before = is not a variable name (the line is not shown)', 2, 3],
      ['unterminated double quote in the value of Q', 3, 3],
    ],
  );
});

test('raw format: values are taken as written — quotes, escapes, $, # and blanks kept; bare keys inherit', (t) => {
  const text = [
    '# comment',
    '',
    `JSON='{"key": "value"}'`,
    'DQ="a\\nb"',
    'DOLLAR=${HOME} and $$ and $HOME',
    'HASH=a # not a comment',
    'TRAIL=x  ',
    '  INDENTED=y',
    'EQ=a=b',
    'export E=1',
    'SHELL_ONLY',
    'NOT_SET',
    'EMPTY=',
  ].join('\r\n');
  const { values, diagnostics } = parseEnvFile(text, 'raw.env', lookup, 'raw');
  t.deepEqual(
    diagnostics.map((d) => d.summary),
    ['this line is not NAME=VALUE: what stands before = holds blanks (the line is not shown)'],
  );
  t.deepEqual(values, {
    JSON: `'{"key": "value"}'`,
    DQ: '"a\\nb"',
    DOLLAR: '${HOME} and $$ and $HOME',
    HASH: 'a # not a comment',
    TRAIL: 'x  ',
    INDENTED: 'y',
    EQ: 'a=b',
    SHELL_ONLY: 'from-shell',
    EMPTY: '',
  });
});

test('raw format errors carry line:col', (t) => {
  const { diagnostics } = parseEnvFile('OK=1\n  =x\nA B=1\n', 'raw.env', lookup, 'raw');
  t.deepEqual(
    diagnostics.map((d) => [d.summary, d.where?.file, d.where?.line, d.where?.column]),
    [
      ['a line starts with = and names no variable', 'raw.env', 2, 3],
      ['this line is not NAME=VALUE: what stands before = holds blanks (the line is not shown)', 'raw.env', 3, 1],
    ],
  );
});

test('env_file { format: raw } in a service: literal values, in order with compose-format files, environment wins', async (t) => {
  const r = await load(
    {
      'compose.yaml':
        'services:\n  web:\n    image: busybox\n    env_file:\n      - a.env\n      - { path: raw.env, format: raw }\n    environment: { WIN: env }\n',
      'a.env': 'A="quoted ${HOME}"\nB=from-a\nWIN=a\n',
      'raw.env': 'B="from raw ${HOME}"\nC=\\n#x\nWIN=raw\n',
    },
    { env: { HOME: '/home/me' } },
  );
  t.deepEqual(errors(r), []);
  t.deepEqual(r.value!.services.web.environment, {
    A: 'quoted /home/me',
    B: '"from raw ${HOME}"',
    C: '\\n#x',
    WIN: 'env',
  });
  const bad = await load({
    'compose.yaml': 'services:\n  web:\n    image: busybox\n    env_file: [{ path: raw.env, format: raw }]\n',
    'raw.env': 'OK=1\nA B=2\n',
  });
  t.is(where(find(bad, 'what stands before = holds blanks')), 'raw.env:2:1');
  const other = await load({
    'compose.yaml': 'services:\n  web:\n    image: busybox\n    env_file: [{ path: a.env, format: yaml }]\n',
    'a.env': '',
  });
  t.is(where(find(other, 'format must be raw')), 'compose.yaml:4:39 services.web.env_file[0].format');
});
