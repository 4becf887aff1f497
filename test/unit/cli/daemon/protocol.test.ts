import test from 'ava';
import { parseReply, parseRequest, residentCommand } from '../../../../src/cli/daemon/protocol.js';

const good = {
  kind: 'run',
  build: '/x/dist/cli/bundle.cjs 1 v20.0.0',
  argv: ['plan', '-f', 'compose.yaml'],
  cwd: '/tmp',
  env: { PATH: '/bin' },
  stdout: { tty: true, columns: 120 },
  stderr: { tty: false },
};

test('a well-formed request is parsed into its fields', (t) => {
  t.deepEqual(parseRequest(JSON.stringify(good)), good as never);
});

test('a request of the wrong shape is refused with why, never run', (t) => {
  const bad: [unknown, RegExp][] = [
    ['{', /not JSON/],
    [{ ...good, kind: 'exec' }, /not a run request/],
    [{ ...good, argv: ['plan', 3] }, /argv/],
    [{ ...good, cwd: 'relative/dir' }, /cwd/],
    [{ ...good, env: { A: 1 } }, /env/],
    [{ ...good, stdout: { tty: 'yes' } }, /stdout or stderr/],
    [{ ...good, stderr: { tty: true, columns: -3 } }, /stdout or stderr/],
    [[good], /not a run request/],
  ];
  for (const [value, why] of bad) {
    const parsed = parseRequest(typeof value === 'string' ? value : JSON.stringify(value));
    t.true('invalid' in parsed, JSON.stringify(value));
    t.regex((parsed as { invalid: string }).invalid, why);
  }
});

test('replies: output, exit and fallback are read; anything else is not a reply', (t) => {
  t.deepEqual(parseReply('{"kind":"output","stream":"stderr","text":"x"}'), {
    kind: 'output',
    stream: 'stderr',
    text: 'x',
  });
  t.deepEqual(parseReply('{"kind":"exit","code":2}'), { kind: 'exit', code: 2 });
  t.deepEqual(parseReply('{"kind":"fallback","reason":"r"}'), { kind: 'fallback', reason: 'r' });
  for (const line of [
    '',
    '{"kind":"exit","code":300}',
    '{"kind":"exit","code":1.5}',
    '{"kind":"output","stream":"stdin","text":"x"}',
    '{"kind":"shell","cmd":"rm"}',
  ])
    t.is(parseReply(line), undefined, line);
});

test('the daemon serves apply, plan and validate, and none that names a path of the process that opens it', (t) => {
  t.is(residentCommand(['apply', '-y']), 'apply');
  t.is(residentCommand(['plan']), 'plan');
  t.is(residentCommand(['validate', '-f', 'a.yaml']), 'validate');
  for (const argv of [
    ['destroy'],
    ['ps'],
    ['--version'],
    [],
    ['apply', '-f', '/dev/stdin'],
    ['plan', '--env-file', '/dev/fd/63'],
    ['plan', '--env-file=/proc/self/fd/0'],
  ])
    t.is(residentCommand(argv), undefined, argv.join(' '));
});
