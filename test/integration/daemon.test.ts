/**
 * `stack daemon` on the sandbox's hosts: apply, plan and validate run in the daemon with the client's environment and
 * directory, and print and exit as they do in a process of their own; an apply with changes comes back to the client
 * and writes there; bad input fails the same; an untrusted socket is not used; a second daemon on a socket refuses to
 * start; a daemon of a rebuilt install ends; a client interrupted while the daemon waits on a hung host exits 130 and
 * the daemon serves the next one. Runs are told apart by the daemon's own log: one line per request, with its outcome.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, symlinkSync, utimesSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Labels } from '../../src/labels.js';
import { repoRoot } from '../helpers/sandbox.js';
import { desiredFor, deploy, docker, IMAGE, uniqueStack } from './reconcile-helpers.js';
import {
  ensureBuilt,
  inventoryYaml,
  runStack,
  sandboxHosts,
  startCommand,
  startStack,
  writeDir,
  type CliResult,
} from './cli-helpers.js';

const MAIN = ['h1', 'h2', 'h3'];

interface Daemon {
  socket: string;
  pid: number;
  log: () => string;
  /** The log lines written while `fn` ran. */
  linesDuring: (fn: () => Promise<CliResult>) => Promise<{ r: CliResult; lines: string[] }>;
  done: Promise<CliResult>;
  stop: () => void;
}

async function startDaemon(
  binDir = repoRoot,
  socket = path.join(mkdtempSync(path.join(os.tmpdir(), 'stack-daemon-')), 'run', 'd.sock'),
): Promise<Daemon> {
  const started = startCommand(process.execPath, [
    '--',
    path.join(binDir, 'bin', 'stack.js'),
    'daemon',
    '--socket',
    socket,
  ]);
  let stderr = '';
  started.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (!stderr.includes('listening on')) return;
      clearInterval(poll);
      resolve();
    }, 20);
    void started.done.then((r) => (clearInterval(poll), reject(new Error(`the daemon ended: ${r.stderr}`))));
  });
  const lines = () => stderr.split('\n').filter((l) => /^\d\d:\d\d:\d\d stack /.test(l));
  return {
    socket,
    pid: started.child.pid!,
    log: () => stderr,
    linesDuring: async (fn) => {
      const before = lines().length;
      const r = await fn();
      return { r, lines: lines().slice(before) };
    },
    done: started.done,
    stop: () => started.child.kill('SIGTERM'),
  };
}

function stackFile(name: string): string {
  return (
    `name: ${name}\nservices:\n  app:\n    image: ${IMAGE()}\n    command: ["sleep", "3600"]\n` +
    `    environment:\n      GREETING: \${GREETING:-hi}\n` +
    `    deploy:\n      replicas: 3\n      placement:\n        constraints: ["node.labels.pool == main"]\n`
  );
}

async function containers(name: string): Promise<{ host: string; id: string; greeting: string | undefined }[]> {
  const out = [];
  for (const host of MAIN)
    for (const c of await docker(host).listContainers({ all: true, filters: { label: [`${Labels.stack}=${name}`] } })) {
      const env = (await docker(host).getContainer(c.Id).inspect()).Config.Env ?? [];
      out.push({ host, id: c.Id, greeting: env.find((e) => e.startsWith('GREETING='))?.slice(9) });
    }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

let daemon: Daemon;
test.before(async () => {
  ensureBuilt();
  daemon = await startDaemon();
});
test.after.always(async () => {
  daemon?.stop();
  await daemon?.done;
});

test.serial(
  "apply and plan: a no-op and a plan run in the daemon with the client's environment and directory, printing what a process of their own prints; changes are applied by the client",
  async (t) => {
    const name = uniqueStack('dm');
    const dir = writeDir({ 'compose.yaml': stackFile(name), 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
    t.teardown(() => deploy(desiredFor(name, [], 'socket'), { destroy: true }).then(() => undefined));
    const viaDaemon = { STACK_DAEMON_SOCKET: daemon.socket, GREETING: 'hello' };
    const apply = ['apply', '-y', '-i', 'inventory.yaml', '-f', 'compose.yaml'];

    const first = await daemon.linesDuring(() => runStack(apply, dir, viaDaemon));
    t.is(first.r.code, 0, first.r.stderr);
    t.is(first.lines.length, 1);
    t.regex(first.lines[0], /stack apply in .*: left to the client: the look found changes/);
    const made = await containers(name);
    t.is(made.length, 3);
    t.deepEqual(
      made.map((c) => c.greeting),
      ['hello', 'hello', 'hello'],
      "the client's GREETING",
    );

    const noop = await daemon.linesDuring(() => runStack(apply, dir, viaDaemon));
    const alone = await runStack(apply, dir, { ...viaDaemon, STACK_NO_DAEMON: '1' });
    t.is(noop.r.code, 0, noop.r.stderr);
    t.regex(noop.lines[0] ?? '', /stack apply in .*: exit 0 \(\d+ ms\)$/);
    t.regex(noop.r.stdout, new RegExp(`stack ${name}: no changes`));
    t.is(noop.r.stdout, alone.stdout, 'the same output as in a process of its own');
    t.is(noop.r.stderr, alone.stderr);
    t.deepEqual(await containers(name), made, 'nothing replaced');

    const changed = await daemon.linesDuring(() =>
      runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml', '-f', 'compose.yaml'], dir, {
        ...viaDaemon,
        GREETING: 'changed',
      }),
    );
    t.is(changed.r.code, 2, changed.r.stderr);
    t.regex(changed.lines[0] ?? '', /stack plan in .*: exit 2/);
    t.regex(changed.r.stdout, /3 to replace/);
    const same = await daemon.linesDuring(() =>
      runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml', '-f', 'compose.yaml'], dir, viaDaemon),
    );
    t.is(same.r.code, 0, same.r.stderr);
    t.regex(same.lines[0] ?? '', /: exit 0/);
    t.deepEqual(await containers(name), made, 'plans write nothing');
  },
);

test.serial(
  'bad input through the daemon: the same file:line:col message and exit 1 as in a process of its own',
  async (t) => {
    const dir = writeDir({ 'compose.yaml': 'name: bad\nservices:\n  app:\n    image: [\n' });
    const args = ['validate', '-f', 'compose.yaml'];
    const served = await daemon.linesDuring(() => runStack(args, dir, { STACK_DAEMON_SOCKET: daemon.socket }));
    const alone = await runStack(args, dir, { STACK_NO_DAEMON: '1' });
    t.is(served.r.code, 1);
    t.regex(served.lines[0] ?? '', /stack validate in .*: exit 1/);
    t.regex(served.r.stderr, /^error: compose\.yaml:\d+:\d+/m);
    t.is(served.r.stderr, alone.stderr);
    t.false(served.r.stderr.includes('    at '), 'no stack trace');
  },
);

test.serial('over ssh://: a no-op runs in the daemon, and no SSH connection of it outlives the run', async (t) => {
  const name = uniqueStack('dms');
  const dir = writeDir({
    'compose.yaml': stackFile(name),
    'inventory.yaml': inventoryYaml(sandboxHosts(MAIN, 'ssh')),
  });
  t.teardown(() => deploy(desiredFor(name, [], 'socket'), { destroy: true }).then(() => undefined));
  const apply = ['apply', '-y', '-i', 'inventory.yaml', '-f', 'compose.yaml'];
  const env = { STACK_DAEMON_SOCKET: daemon.socket };
  t.is((await runStack(apply, dir, env)).code, 0);
  const noop = await daemon.linesDuring(() => runStack(apply, dir, env));
  t.is(noop.r.code, 0, noop.r.stderr);
  t.regex(noop.lines[0] ?? '', /: exit 0/);
  t.regex(noop.r.stdout, /no changes/);
  // The daemon ends them after its reply: give the TCP close a moment, no more.
  const daemonsSsh = () =>
    execFileSync('ss', ['-Htnp', 'state', 'established', '( dport = :22 )'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(`pid=${daemon.pid},`));
  for (let i = 0; i < 20 && daemonsSsh().length; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  t.deepEqual(daemonsSsh(), []);
});

test.serial(
  "a replica stopped behind stack's back between two no-ops is in the daemon's next plan, as in a process of its own; the apply it leaves to the client converges",
  async (t) => {
    const name = uniqueStack('dmw');
    const dir = writeDir({ 'compose.yaml': stackFile(name), 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
    t.teardown(() => deploy(desiredFor(name, [], 'socket'), { destroy: true }).then(() => undefined));
    const env = { STACK_DAEMON_SOCKET: daemon.socket };
    const apply = ['apply', '-y', '-i', 'inventory.yaml', '-f', 'compose.yaml'];
    const plan = ['plan', '--detailed-exitcode', '-i', 'inventory.yaml', '-f', 'compose.yaml'];
    t.is((await runStack(apply, dir, env)).code, 0);
    for (let i = 0; i < 2; i++) {
      const quiet = await daemon.linesDuring(() => runStack(plan, dir, env));
      t.is(quiet.r.code, 0, quiet.r.stderr);
      t.regex(quiet.lines[0] ?? '', /stack plan in .*: exit 0/);
    }

    const victim = (await containers(name))[0];
    await docker(victim.host).getContainer(victim.id).stop({ t: 0 });
    const seen = await daemon.linesDuring(() => runStack(plan, dir, env));
    t.is(seen.r.code, 2, `the daemon's plan sees the stopped replica on ${victim.host}: ${seen.r.stdout}`);
    t.regex(seen.lines[0] ?? '', /stack plan in .*: exit 2/);
    const alone = await runStack(plan, dir, { ...env, STACK_NO_DAEMON: '1' });
    t.is(seen.r.stdout, alone.stdout, 'the same plan as in a process of its own');

    const fixed = await daemon.linesDuring(() => runStack(apply, dir, env));
    t.is(fixed.r.code, 0, fixed.r.stderr);
    t.regex(fixed.lines[0] ?? '', /left to the client: the look found changes/);
    const after = await daemon.linesDuring(() => runStack(plan, dir, env));
    t.is(after.r.code, 0, after.r.stdout);
    const running = await docker(victim.host).listContainers({ filters: { label: [`${Labels.stack}=${name}`] } });
    t.true(running.length > 0, `a replica runs on ${victim.host} again`);
  },
);

test.serial(
  'several clients at once are served one after another, each with its own environment and answer',
  async (t) => {
    const dir = writeDir({
      'compose.yaml': `name: ok\nservices:\n  app:\n    image: ${IMAGE()}\n    environment:\n      X: "\${X:?X must be set}"\n`,
    });
    // The second client does not set X: only it fails.
    const clientEnv: Record<string, string>[] = [{ X: 'a' }, {}, { X: 'c' }];
    const envs = clientEnv.map((e) => ({ ...e, STACK_DAEMON_SOCKET: daemon.socket }));
    let results: CliResult[] = [];
    const runs = await daemon.linesDuring(async () => {
      results = await Promise.all(envs.map((env) => runStack(['validate', '-f', 'compose.yaml'], dir, env)));
      return results[0];
    });
    t.deepEqual(
      results.map((r) => r.code),
      [0, 1, 0],
    );
    t.regex(results[1].stderr, /X must be set/);
    t.false(results[0].stderr.includes('X must be set'));
    t.deepEqual(runs.lines.map((l) => l.replace(/^.*: (exit \d).*$/, '$1')).sort(), ['exit 0', 'exit 0', 'exit 1']);
  },
);

test.serial(
  'a socket that is not to be trusted is not used: a warning, and the command runs in its own process',
  async (t) => {
    const open = mkdtempSync(path.join(os.tmpdir(), 'stack-daemon-open-'));
    chmodSync(open, 0o777);
    const socket = path.join(open, 'd.sock');
    let asked = false;
    const impostor = net.createServer((c) => ((asked = true), c.destroy()));
    await new Promise<void>((resolve) => impostor.listen(socket, resolve));
    t.teardown(() => impostor.close());
    const dir = writeDir({ 'compose.yaml': `name: ok\nservices:\n  app:\n    image: ${IMAGE()}\n` });
    const r = await runStack(['validate', '-f', 'compose.yaml'], dir, { STACK_DAEMON_SOCKET: socket, TOKEN: 'secret' });
    t.is(r.code, 0, r.stderr);
    t.regex(
      r.stderr,
      /warning: not using the stack daemon's socket .*d\.sock: .* can be written to by others \(mode 777\)/,
    );
    t.false(asked, 'nothing was sent to it');
  },
);

test.serial('a second daemon on the same socket refuses to start, and the first goes on serving', async (t) => {
  const second = await runStack(['daemon', '--socket', daemon.socket], os.tmpdir());
  t.is(second.code, 1);
  t.regex(second.stderr, /error: a stack daemon already listens at .*d\.sock/);
  const dir = writeDir({ 'compose.yaml': `name: ok\nservices:\n  app:\n    image: ${IMAGE()}\n` });
  const after = await daemon.linesDuring(() =>
    runStack(['validate', '-f', 'compose.yaml'], dir, { STACK_DAEMON_SOCKET: daemon.socket }),
  );
  t.is(after.r.code, 0);
  t.regex(after.lines[0] ?? '', /: exit 0/);
});

test.serial(
  'a client interrupted while the daemon waits on a hung host exits 130; the daemon then serves the next client',
  async (t) => {
    const hung = net.createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const reached = new Promise((resolve) => hung.once('connection', resolve));
    t.teardown(() => hung.close());
    const port = (hung.address() as net.AddressInfo).port;
    const dir = writeDir({
      'compose.yaml': `name: hung\nservices:\n  app:\n    image: ${IMAGE()}\n`,
      'inventory.yaml': `hosts:\n  slow:\n    endpoint: tcp://127.0.0.1:${port}\n    tls: false\n`,
    });
    const client = startStack(['plan', '--timeout', '4', '--retries', '0', '-i', 'inventory.yaml'], dir, {
      STACK_DAEMON_SOCKET: daemon.socket,
    });
    await reached; // the daemon is running the client's plan, and the client waits for it
    client.child.kill('SIGINT');
    const r = await client.done;
    t.is(r.code, 130);
    t.regex(r.stderr, /interrupted in the daemon, before any change: no host was changed/);
    const ok = writeDir({ 'compose.yaml': `name: ok\nservices:\n  app:\n    image: ${IMAGE()}\n` });
    const next = await runStack(['validate', '-f', 'compose.yaml'], ok, { STACK_DAEMON_SOCKET: daemon.socket });
    t.is(next.code, 0);
    t.regex(daemon.log(), /stack plan in .*: exit 1 .*\n.*stack validate in .*: exit 0/);
  },
);

test.serial(
  'a daemon whose install is rebuilt ends after its next client, which runs the command itself',
  async (t) => {
    // A copy of the install, so that rebuilding it touches no other test's stack.
    const copy = mkdtempSync(path.join(os.tmpdir(), 'stack-daemon-install-'));
    for (const part of ['bin', 'dist', 'schemas', 'package.json'])
      cpSync(path.join(repoRoot, part), path.join(copy, part), { recursive: true, preserveTimestamps: true });
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(copy, 'node_modules'));
    const old = await startDaemon(copy);
    t.teardown(() => old.stop());
    const dir = writeDir({ 'compose.yaml': `name: ok\nservices:\n  app:\n    image: ${IMAGE()}\n` });
    const run = () =>
      startCommand(process.execPath, ['--', path.join(copy, 'bin', 'stack.js'), 'validate', '-f', 'compose.yaml'], {
        cwd: dir,
        env: { STACK_DAEMON_SOCKET: old.socket },
      }).done;
    const before = await old.linesDuring(run);
    t.regex(before.lines[0] ?? '', /: exit 0/);
    const later = new Date(Date.now() + 5000);
    utimesSync(path.join(copy, 'dist', 'cli', 'bundle.cjs'), later, later);
    const after = await old.linesDuring(run);
    t.is(after.r.code, 0, after.r.stderr);
    t.regex(after.lines[0] ?? '', /left to the client: another build of stack/);
    const ended = await old.done;
    t.is(ended.code, 0);
    t.regex(ended.stderr, /stack daemon: stopped/);
  },
);
