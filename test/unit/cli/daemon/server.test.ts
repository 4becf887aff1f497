/**
 * The daemon's socket with a stand-in for the CLI (serveDaemon's `run`): what it answers to good, malformed, silent
 * and oversized requests, to another build, and where it refuses to listen. The whole client and CLI on real hosts:
 * test/integration/daemon.test.ts.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ExitError } from '../../../../src/errors.js';
import { serveDaemon, type ServedRun } from '../../../../src/cli/daemon/server.js';

const BUILD = '/opt/stack/dist/cli/bundle.cjs 100 v20.0.0';

function socketPath(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-daemon-unit-'));
  chmodSync(dir, 0o700);
  return path.join(dir, 'd.sock');
}

async function daemon(socket = socketPath()) {
  const stop = new AbortController();
  const served: ServedRun[] = [];
  let listening!: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const done = serveDaemon({
    socket,
    build: BUILD,
    run: async (argv) => {
      process.stdout.write(`ran ${argv.join(' ')} with ${process.env.WHO}\n`);
      return 3;
    },
    listening,
    served: (r) => served.push(r),
    stop: stop.signal,
    requestWithinMs: 300,
  });
  await Promise.race([ready, done]);
  return { socket, served, done, stop: () => stop.abort() };
}

/** Sends `body` (then ends, unless `end` is false) and resolves with every line the daemon answered. */
function ask(socket: string, body: string, end = true): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let text = '';
    const c = net.connect(socket, () => (end ? c.end(body) : c.write(body)));
    c.on('data', (d) => (text += d.toString()));
    c.on('close', () => resolve(text.trim() ? text.trim().split('\n') : []));
    c.on('error', reject);
  });
}

const request = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    kind: 'run',
    build: BUILD,
    argv: ['plan', '-f', 'x.yaml'],
    cwd: '/',
    env: { WHO: 'the client' },
    stdout: { tty: false },
    stderr: { tty: false },
    ...over,
  });

test.serial(
  'a request is run with its environment; its output and exit code come back; malformed ones fall back',
  async (t) => {
    const d = await daemon();
    t.teardown(d.stop);
    t.deepEqual(await ask(d.socket, request()), [
      JSON.stringify({ kind: 'output', stream: 'stdout', text: 'ran plan -f x.yaml with the client\n' }),
      JSON.stringify({ kind: 'exit', code: 3 }),
    ]);
    t.deepEqual(await ask(d.socket, '{"kind":"run"'), [JSON.stringify({ kind: 'fallback', reason: 'not JSON' })]);
    t.deepEqual(await ask(d.socket, request({ argv: ['destroy'] })), [
      JSON.stringify({ kind: 'fallback', reason: 'the daemon does not serve destroy' }),
    ]);
    t.is(d.served.length, 2, 'the runs it was asked for are logged; a malformed request is not');
  },
);

test.serial('a client that sends nothing, or too much, does not hold the queue', async (t) => {
  const d = await daemon();
  t.teardown(d.stop);
  const silent = ask(d.socket, '', false);
  const next = ask(d.socket, request());
  t.deepEqual(await silent, [], 'dropped after requestWithinMs');
  t.is((await next).length, 2);
  const huge = await ask(d.socket, 'x'.repeat(5 * 1024 * 1024)).catch(() => []);
  t.deepEqual(huge, []);
  t.is((await ask(d.socket, request())).length, 2, 'still serving');
});

test.serial('another build falls back; the same install rebuilt ends the daemon and removes its socket', async (t) => {
  const d = await daemon();
  t.deepEqual(await ask(d.socket, request({ build: '/elsewhere/dist/cli/bundle.cjs 7 v20.0.0' })), [
    JSON.stringify({
      kind: 'fallback',
      reason: `another build of stack (/elsewhere/dist/cli/bundle.cjs 7 v20.0.0; the daemon runs ${BUILD})`,
    }),
  ]);
  t.true(existsSync(d.socket), 'still serving');
  const rebuilt = await ask(d.socket, request({ build: '/opt/stack/dist/cli/bundle.cjs 200 v20.0.0' }));
  t.regex(rebuilt[0], /"kind":"fallback","reason":"another build of stack/);
  await d.done;
  t.false(existsSync(d.socket));
});

test.serial(
  'it refuses a directory others can write to, and a socket another daemon listens on; a stale one is replaced',
  async (t) => {
    const open = mkdtempSync(path.join(os.tmpdir(), 'stack-daemon-unit-open-'));
    chmodSync(open, 0o777);
    const err = await t.throwsAsync(daemon(path.join(open, 'd.sock')), { instanceOf: ExitError });
    t.regex(err.message, /cannot serve at .*: .* can be written to by others \(mode 777\)/);

    const first = await daemon();
    t.teardown(first.stop);
    const second = await t.throwsAsync(daemon(first.socket), { instanceOf: ExitError });
    t.regex(second.message, /a stack daemon already listens at/);

    // A socket file whose listener is gone, as a killed daemon leaves it.
    const stale = socketPath();
    spawnSync(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    t.true(existsSync(stale));
    const replaced = await daemon(stale);
    t.teardown(replaced.stop);
    t.is((await ask(stale, request())).length, 2);
  },
);
