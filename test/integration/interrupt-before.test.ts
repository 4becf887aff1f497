/**
 * SIGINT/SIGTERM before any operation starts, with the built CLI on the sandbox: while `stack apply` waits for
 * a lock another session holds, while it observes a hung daemon (a unix socket in the test that accepts
 * connections and never answers), and Ctrl-C at its confirmation prompt on a terminal. Each time: exit 130, one error line saying it was interrupted before any
 * change, not one Docker event of the stack on h1–h3, and the lock as it should be (the other holder's
 * untouched; ours released).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ConsulClient } from '../../src/consul/client.js';
import { ConsulStateStore } from '../../src/state/consul-store.js';
import { lockInfo } from '../../src/state/lock-info.js';
import { Labels } from '../../src/labels.js';
import { containersOf, eventually, hostEvents, IMAGE, uniqueStack, eventWindowStart } from './reconcile-helpers.js';
import {
  bin,
  cleanupStack,
  cliEnv,
  consulAddress,
  consulApi,
  folder,
  inventoryYaml,
  lockSession,
  spawnStack,
} from './consul-helpers.js';
import { ensureBuilt } from './cli-helpers.js';

test.before(() => ensureBuilt());

const plain = (name: string) => `name: ${name}
services:
  web:
    image: ${IMAGE()}
    command: ["sleep", "3600"]
    deploy: { replicas: 3 }
`;

/** Every Docker event on h1–h3 since `since` about the stack (its label, or a name starting with it). */
async function eventsOf(stack: string, since: number): Promise<string[]> {
  return (await hostEvents(since))
    .filter(
      ({ event: e }) =>
        e.Actor?.Attributes?.[Labels.stack] === stack || String(e.Actor?.Attributes?.name ?? '').startsWith(stack),
    )
    .map(({ host, event: e }) => `${host} ${e.Type} ${e.Action} ${e.Actor?.Attributes?.name ?? ''}`);
}

const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('error:'));

for (const command of ['apply', 'destroy', 'rollback'] as const) {
  test(`${command}: SIGINT while waiting for a lock another session holds: exit 130, no change on any host, the holder's lock untouched`, async (t) => {
    const name = uniqueStack(`i${command.slice(0, 3)}`);
    const dir = folder({ 'compose.yaml': plain(name), 'inventory.yaml': inventoryYaml() });
    cleanupStack(t, name, dir);
    const store = new ConsulStateStore(new ConsulClient({ address: consulAddress(), source: '--consul' }));
    t.teardown(() => store.close());
    const holder = await store.acquire(
      name,
      { ...lockInfo(name, 'apply', {}), user: 'other-holder' },
      { timeoutMs: 0 },
    );
    t.teardown(() => holder.release());
    const session = await lockSession(name);
    t.truthy(session);

    const since = await eventWindowStart();
    const run = spawnStack([command, '-y', '-i', 'inventory.yaml', '--lock-timeout', '5m'], { cwd: dir });
    let stderr = '';
    run.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await eventually(
      async () => /is locked in Consul at .* by other-holder@/.test(stderr),
      60_000,
      `${command} to wait for the lock`,
    );
    run.child.kill('SIGINT');
    const r = await run.done;
    t.is(r.code, 130, r.stdout + r.stderr);
    t.deepEqual(errorLines(r.stderr), [
      `error: interrupted by SIGINT while waiting for the lock of stack ${name}, before any change: no host was changed`,
    ]);
    t.is(r.stdout, '', 'nothing was observed or planned');

    t.is(await lockSession(name), session, 'the other session still holds the lock');
    t.false(holder.lost.aborted, 'the holder never saw its lock lost');
    const value = (await consulApi<{ Value: string }[]>(`kv/stack/${name}/lock`))![0].Value;
    t.is(JSON.parse(Buffer.from(value, 'base64').toString()).user, 'other-holder');
    t.deepEqual(await eventsOf(name, since), [], 'no Docker event of the stack on any host');
    t.is((await containersOf(name)).size, 0);
    t.is(await consulApi(`kv/stack/${name}/revisions/?keys`), undefined, 'no revision recorded');
  });
}

test('SIGTERM while observing a hung daemon: exit 130, no change on any host, our lock released', async (t) => {
  const name = uniqueStack('iobs');
  // A daemon that accepts connections and never answers: observe waits on it (its time limit is far away).
  const sockDir = await mkdtemp(join(tmpdir(), 'stack-hung-'));
  const socket = join(sockDir, 'docker.sock');
  const held: Socket[] = [];
  let connected: () => void = () => undefined;
  const firstConnection = new Promise<void>((r) => (connected = r));
  const server = createServer((conn) => {
    held.push(conn);
    connected();
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  t.teardown(async () => {
    for (const c of held) c.destroy();
    await new Promise((resolve) => server.close(resolve));
    await rm(sockDir, { recursive: true, force: true });
  });
  const inventory = inventoryYaml().replace(
    /^consul:/m,
    `  hung:\n    endpoint: unix://${socket}\n    labels: { pool: hung }\nconsul:`,
  );
  const dir = folder({ 'compose.yaml': plain(name), 'inventory.yaml': inventory });
  cleanupStack(t, name, folder({ 'compose.yaml': plain(name), 'inventory.yaml': inventoryYaml() }));

  const since = await eventWindowStart();
  const run = spawnStack(['apply', '-y', '-i', 'inventory.yaml', '--timeout', '600', '--lock-timeout', '0'], {
    cwd: dir,
  });
  t.is(
    await Promise.race([firstConnection.then(() => 'observing' as const), run.done.then(() => 'exited' as const)]),
    'observing',
  );
  t.truthy(await lockSession(name), 'the apply holds its lock while it observes');
  run.child.kill('SIGTERM');
  const r = await run.done;
  t.is(r.code, 130, r.stdout + r.stderr);
  t.deepEqual(errorLines(r.stderr), [
    'error: interrupted by SIGTERM while observing the hosts, before any change: no host was changed',
  ]);
  t.is(r.stdout, '', 'no plan was shown');
  t.is(await lockSession(name), undefined, 'the lock was released');
  t.deepEqual(await eventsOf(name, since), [], 'no Docker event of the stack on any host');
  t.is(await consulApi(`kv/stack/${name}/revisions/?keys`), undefined, 'no revision recorded');
});

test('Ctrl-C at the confirmation prompt (a real terminal, through script(1)): exit 130, no change on any host, the lock released', async (t) => {
  const name = uniqueStack('itty');
  const state = await mkdtemp(join(tmpdir(), 'stack-tty-state-'));
  const dir = folder({ 'compose.yaml': plain(name), 'inventory.yaml': inventoryYaml(null) });
  t.teardown(() => rm(state, { recursive: true, force: true }));
  cleanupStack(t, name, dir);
  const since = await eventWindowStart();
  // script(1) gives the CLI a pseudo-terminal: it asks, and Ctrl-C typed there reaches readline, not the process.
  const child = spawn('script', ['-qfec', `${process.execPath} ${bin} apply -i inventory.yaml`, '/dev/null'], {
    cwd: dir,
    env: { ...cliEnv({ STACK_STATE_DIR: state }), TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let asked: () => void = () => undefined;
  const prompt = new Promise<void>((r) => (asked = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (/Apply these changes to stack \S+\? \[y\/N\]/.test(out)) asked();
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  t.is(await Promise.race([prompt.then(() => 'asked' as const), done.then(() => 'exited' as const)]), 'asked', out);
  t.true(existsSync(join(state, name, 'lock.json')), 'the lock is held while it asks');
  child.stdin.write('\x03');
  t.is(await done, 130, out);
  const errors = out.split(/\r?\n/).filter((l) => l.startsWith('error:'));
  t.deepEqual(errors, [
    'error: interrupted by SIGINT while waiting for the confirmation, before any change: no host was changed',
  ]);
  t.false(existsSync(join(state, name, 'lock.json')), 'the lock was released');
  t.false(existsSync(join(state, name, 'revisions')), 'no revision recorded');
  t.deepEqual(await eventsOf(name, since), [], 'no Docker event of the stack on any host');
  t.is((await containersOf(name)).size, 0);
});
