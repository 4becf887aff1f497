import test from 'ava';
import { parseEnvFile } from '../../../src/stack/env-file.js';

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
      ['invalid variable name "1BAD"', 2, 3],
      ['unterminated double quote in the value of Q', 3, 3],
    ],
  );
});
