import test from 'ava';
import os from 'node:os';
import { WritesNeeded } from '../../../../src/errors.js';
import { runRequest } from '../../../../src/cli/daemon/run-request.js';
import { residentRun } from '../../../../src/cli/daemon/resident.js';
import type { DaemonRequest } from '../../../../src/cli/daemon/protocol.js';

const request = (argv: string[]): DaemonRequest => ({
  kind: 'run',
  build: 'b',
  argv,
  cwd: os.tmpdir(),
  env: { ONLY_THE_CLIENTS: 'yes', PATH: '/client/bin' },
  stdout: { tty: true, columns: 99 },
  stderr: { tty: false },
});

test.serial(
  "a run sees the client's environment, directory and terminals; its outputs come back in order",
  async (t) => {
    const [env, cwd, exitCode] = [{ ...process.env }, process.cwd(), process.exitCode];
    const replies = await runRequest(request(['plan']), async (argv) => {
      t.deepEqual(argv, ['plan']);
      t.is(process.env.ONLY_THE_CLIENTS, 'yes');
      t.is(process.env.PATH, '/client/bin');
      t.is(process.env.HOME, undefined);
      t.is(process.cwd(), os.tmpdir());
      t.true(process.stdout.isTTY);
      t.is(process.stdout.columns, 99);
      t.falsy(process.stderr.isTTY);
      t.true(residentRun());
      process.stdout.write('one\n');
      process.stderr.write('two\n');
      process.stdout.write('three\n');
      process.exitCode = 2;
      return 2;
    });
    t.deepEqual(replies, [
      { kind: 'output', stream: 'stdout', text: 'one\n' },
      { kind: 'output', stream: 'stderr', text: 'two\n' },
      { kind: 'output', stream: 'stdout', text: 'three\n' },
      { kind: 'exit', code: 2 },
    ]);
    // The daemon's own process is as before.
    t.deepEqual({ ...process.env }, env);
    t.is(process.cwd(), cwd);
    t.is(process.exitCode, exitCode);
    t.false(residentRun());
  },
);

test.serial('a run that comes to a write falls back, and what it printed before is not sent', async (t) => {
  const replies = await runRequest(request(['apply', '-y']), async () => {
    process.stdout.write('loaded\n');
    throw new WritesNeeded('the lock');
  });
  t.deepEqual(replies, [{ kind: 'fallback', reason: 'the lock' }]);
});

test.serial('a run that fails unexpectedly falls back too, and the process is given back', async (t) => {
  const cwd = process.cwd();
  const replies = await runRequest(request(['plan']), async () => {
    throw new Error('boom');
  });
  t.deepEqual(replies, [{ kind: 'fallback', reason: 'the daemon failed: boom' }]);
  t.is(process.cwd(), cwd);
  t.not(process.env.ONLY_THE_CLIENTS, 'yes');
});
