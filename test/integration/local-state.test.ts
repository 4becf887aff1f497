/** Without Consul: the same lock and history in a local state directory, on the real sandbox. */
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { modes } from '../helpers/file-modes.js';
import { LocalStateStore } from '../../src/state/local-store.js';
import { lockInfo } from '../../src/state/lock-info.js';
import { containersOf, docker, IMAGE, uniqueStack } from './reconcile-helpers.js';
import { folder, inventoryYaml, stackCli } from './consul-helpers.js';

const file = (name: string, v: string) => `name: ${name}
services:
  web:
    image: ${IMAGE()}
    command: ["sleep", "3600"]
    environment: { V: "${v}" }
    stop_grace_period: 1s
`;

test('no Consul configured: apply takes the lock and records revisions in the state directory; rollback works; a held lock blocks', async (t) => {
  const name = uniqueStack('local');
  const state = mkdtempSync(path.join(os.tmpdir(), 'stack-state-'));
  const dir = folder({ 'compose.yaml': file(name, '1'), 'inventory.yaml': inventoryYaml(null) });
  const env = { STACK_STATE_DIR: state };
  const run = (...args: string[]) => stackCli([...args, '-i', 'inventory.yaml'], { cwd: dir, env });
  t.teardown(() => run('destroy', '-y'));

  t.is((await run('apply', '-y')).code, 0);
  writeFileSync(path.join(dir, 'compose.yaml'), file(name, '2'));
  t.is((await run('apply', '-y')).code, 0);
  const h = JSON.parse((await run('history', '--json')).stdout);
  t.is(h.store, `local state in ${state}`);
  t.deepEqual(
    h.revisions.map((r: { number: number }) => r.number),
    [1, 2],
  );
  t.true(existsSync(path.join(state, name, 'revisions', '0000000002', 'manifest.json')));
  t.false(existsSync(path.join(state, name, 'lock.json')), 'the lock is released after apply');

  const rolled = await run('rollback', '-y');
  t.is(rolled.code, 0, rolled.stderr);
  const [c] = [...(await containersOf(name)).values()];
  const inspect = await docker(c.host).getContainer(c.info.Id).inspect();
  t.true(inspect.Config.Env.includes('V=1'));

  const store = new LocalStateStore(state);
  const lock = await store.acquire(name, { ...lockInfo(name, 'apply', {}), user: 'local-holder' }, { timeoutMs: 0 });
  const blocked = await run('apply', '-y', '--lock-timeout', '0');
  t.is(blocked.code, 1);
  t.regex(blocked.stderr, /is locked by local-holder@/);
  await lock.release();
  t.deepEqual(
    readdirSync(path.join(state, name)).sort(),
    ['hash-key.json', 'identity.json', 'revisions'],
    "the stack's identity and hash key stay: its objects carry the one, its labels' hashes need the other",
  );
});

test('state folders are 0700 and files 0600 even under umask 000; a 0644 file is warned about once per run', async (t) => {
  const name = uniqueStack('private');
  const state = path.join(mkdtempSync(path.join(os.tmpdir(), 'stack-state-')), 'new', 'state');
  const dir = folder({ 'compose.yaml': file(name, '1'), 'inventory.yaml': inventoryYaml(null) });
  const env = { STACK_STATE_DIR: state };
  const run = (...args: string[]) => stackCli([...args, '-i', 'inventory.yaml'], { cwd: dir, env });
  const umask = process.umask(0); // the CLI inherits it
  t.teardown(async () => {
    process.umask(umask);
    await run('destroy', '-y');
  });

  const first = await run('apply', '-y');
  t.is(first.code, 0, first.stderr);
  t.notRegex(first.stderr, /local state/);
  writeFileSync(path.join(dir, 'compose.yaml'), file(name, '2'));
  t.is((await run('apply', '-y')).code, 0);
  const lock = await new LocalStateStore(state).acquire(name, lockInfo(name, 'apply', {}), { timeoutMs: 0 });
  const held = modes(path.join(state, '..'));
  await lock.release();
  t.true(held.has(`state/${name}/lock.json`) && held.has(`state/${name}/revisions/0000000002/manifest.json`));
  for (const [p, mode] of held) t.regex(mode, /^(700\/|600)$/, p);

  // Each run warns once, about the first open file it reads (plan: the identity; history: the revisions).
  const identity = path.join(state, name, 'identity.json');
  const manifest = path.join(state, name, 'revisions', '0000000002', 'manifest.json');
  chmodSync(identity, 0o644);
  chmodSync(manifest, 0o644);
  for (const [command, files] of [
    [['plan'], [identity]],
    [
      ['apply', '-y'],
      [identity, manifest],
    ],
    [['history'], [manifest]],
  ] as const) {
    const r = await run(...command);
    t.is(r.code, 0, r.stderr);
    t.is(r.stderr.match(/warning: local state/g)?.length, 1, `${command[0]}: ${r.stderr}`);
    const file = files.find((f) =>
      r.stderr.includes(`local state file ${f} can be read by group or others (mode 0644)`),
    );
    t.truthy(file, r.stderr);
    t.true(r.stderr.includes(`hint: chmod 600 ${file}, or for the whole state directory: chmod -R go= ${state}`));
  }
  t.is(lstatSync(identity).mode & 0o777, 0o644, 'stack warns; it does not change the mode');
});

test('no Consul and no state directory: apply says so before any write, exit 1', async (t) => {
  const name = uniqueStack('nostate');
  const dir = folder({ 'compose.yaml': file(name, '1'), 'inventory.yaml': inventoryYaml(null) });
  const r = await stackCli(['apply', '-y', '-i', 'inventory.yaml'], {
    cwd: dir,
    env: { HOME: '/nonexistent-stack-home' },
  });
  t.is(r.code, 1);
  t.regex(
    r.stderr,
    /error: no Consul is configured and the home directory \/nonexistent-stack-home for the local state directory does not exist/,
  );
  t.regex(r.stderr, /hint: set STACK_STATE_DIR/);
  t.false(existsSync('/nonexistent-stack-home'));
  t.is((await containersOf(name)).size, 0);
});
