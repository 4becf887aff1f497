/** The local state directory: the same lock and history as Consul, for one machine without Consul. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { LocalStateStore, localStateRoot } from '../../../src/state/local-store.js';
import { lockInfo } from '../../../src/state/lock-info.js';
import { FencedError } from '../../../src/fence.js';
import { LockTimeoutError, LockWaitAbortedError } from '../../../src/state/types.js';
import { revisionRecord } from '../../helpers/revision-record.js';

const fresh = () => new LocalStateStore(mkdtempSync(path.join(os.tmpdir(), 'stack-state-')));

const record = (number: number, blob = '') => revisionRecord(number, { services: { web: { blob } } });

test('state root: STACK_STATE_DIR, else XDG_STATE_HOME/stack, else ~/.local/state/stack', (t) => {
  t.is(localStateRoot({ STACK_STATE_DIR: '/x/y' }), '/x/y');
  t.is(localStateRoot({ XDG_STATE_HOME: '/xdg' }), '/xdg/stack');
  t.is(localStateRoot({}), path.join(os.homedir(), '.local', 'state', 'stack'));
});

test('lock: a second writer waits, is told the holder once, then fails with the holder', async (t) => {
  const store = fresh();
  const held = await store.acquire('s', { ...lockInfo('s', 'apply', {}), user: 'ann' }, { timeoutMs: 0 });
  const told: unknown[] = [];
  const err = await t.throwsAsync(
    store.acquire('s', lockInfo('s', 'apply', {}), { timeoutMs: 300, pollMs: 50, onWait: (h) => told.push(h) }),
    { instanceOf: LockTimeoutError },
  );
  t.is(told.length, 1);
  t.is(err.holder?.user, 'ann');
  t.is((await store.holder('s'))?.user, 'ann');
  const other = await store.acquire('other-stack', lockInfo('other-stack', 'apply', {}), { timeoutMs: 0 });
  await other.release();
  await held.release();
  t.is(await store.holder('s'), undefined);
  const again = await store.acquire('s', lockInfo('s', 'apply', {}), { timeoutMs: 0 });
  await again.release();
});

test('lock: a waiter gets the lock once the holder releases it', async (t) => {
  const store = fresh();
  const held = await store.acquire('s', lockInfo('s', 'apply', {}), { timeoutMs: 0 });
  const waiting = store.acquire('s', lockInfo('s', 'destroy', {}), { timeoutMs: 10_000, pollMs: 20 });
  setTimeout(() => void held.release(), 100);
  const second = await waiting;
  t.is(second.info.command, 'destroy');
  await second.release();
});

test("lock: a wait given up (SIGINT) rejects at once and leaves the holder's lock as it was", async (t) => {
  const store = fresh();
  const held = await store.acquire('s', { ...lockInfo('s', 'apply', {}), user: 'ann' }, { timeoutMs: 0 });
  const stop = new AbortController();
  const waiting = store.acquire('s', lockInfo('s', 'apply', {}), {
    timeoutMs: 60_000,
    pollMs: 10_000,
    signal: stop.signal,
    onWait: () => stop.abort(),
  });
  await t.throwsAsync(waiting, {
    instanceOf: LockWaitAbortedError,
    message: 'stopped waiting for the lock of stack s',
  });
  t.is((await store.holder('s'))?.id, held.info.id);
  t.false(held.lost.aborted);
  await held.release();
  // Aborted before it starts: not even a free lock is taken.
  await t.throwsAsync(store.acquire('s', lockInfo('s', 'apply', {}), { timeoutMs: 0, signal: AbortSignal.abort() }), {
    instanceOf: LockWaitAbortedError,
  });
  t.is(await store.holder('s'), undefined);
});

test('lock: one left by a dead process on this machine is taken over', async (t) => {
  const store = fresh();
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const stale = { ...lockInfo('s', 'apply', {}), pid: Number(dead.stdout), id: 'stale' };
  const dir = path.join(store.root, 's');
  await store.acquire('s', lockInfo('s', 'apply', {}), { timeoutMs: 0 }).then((l) => l.release());
  writeFileSync(path.join(dir, 'lock.json'), JSON.stringify(stale));
  const held = await store.acquire('s', lockInfo('s', 'apply', {}), { timeoutMs: 0 });
  t.not(held.info.id, 'stale');
  await held.release();
});

test('unlock --force removes the lock at the index it was shown and says whose it was; the holder sees it lost and its fence refuses writes', async (t) => {
  const store = fresh();
  const held = await store.acquire('s', { ...lockInfo('s', 'apply', {}), user: 'bob' }, { timeoutMs: 0 });
  t.notThrows(() => held.fence.check('a write'));
  const shown = await store.lockState('s');
  t.is(shown?.index, held.info.id);
  const removed = await store.forceUnlock('s', shown!.index);
  t.is(removed.outcome, 'removed');
  t.is(removed.outcome === 'removed' ? removed.holder?.user : undefined, 'bob');
  t.deepEqual(await store.forceUnlock('s', shown!.index), { outcome: 'gone' });
  // The fence reads the lock file itself: the very next write is refused, without waiting for the timer.
  t.throws(() => held.fence.check('create container x'), {
    instanceOf: FencedError,
    message: /not sent \(create container x\): lost the lock on stack s/,
  });
  t.true(held.lost.aborted);
  t.regex(String(held.lost.reason), /lost the lock on stack s/);
  await held.release();
});

test('unlock --force with a stale index leaves a lock taken meanwhile alone', async (t) => {
  const store = fresh();
  const first = await store.acquire('s', lockInfo('s', 'apply', {}), { timeoutMs: 0 });
  const stale = (await store.lockState('s'))!.index;
  await first.release();
  const second = await store.acquire('s', { ...lockInfo('s', 'apply', {}), user: 'carol' }, { timeoutMs: 0 });
  const result = await store.forceUnlock('s', stale);
  t.is(result.outcome, 'changed');
  t.is(result.outcome === 'changed' ? result.now?.holder?.user : undefined, 'carol');
  t.notThrows(() => second.fence.check('a write'));
  t.is((await store.holder('s'))?.user, 'carol');
  await second.release();
});

test('a revision record is refused once the lock is lost: nothing is written', async (t) => {
  const store = fresh();
  const held = await store.acquire('s', lockInfo('s', 'apply', {}), { timeoutMs: 0 });
  await store.forceUnlock('s', (await store.lockState('s'))!.index);
  await t.throwsAsync(store.record('s', record(1), 20), { instanceOf: FencedError });
  t.deepEqual(await store.list('s'), []);
  await held.release();
});

test('revisions: recorded, listed oldest first, read back, older ones pruned beyond keep', async (t) => {
  const store = fresh();
  for (const n of [1, 2, 3, 4]) await store.record('s', record(n), 3);
  t.deepEqual(
    (await store.list('s')).map((r) => r.number),
    [2, 3, 4],
  );
  t.deepEqual(await store.latest('s'), (await store.list('s')).at(-1), 'latest: the newest summary alone');
  t.is(await store.latest('none'), undefined);
  t.deepEqual(await store.get('s', 3), record(3));
  t.is(await store.get('s', 1), undefined);
  await t.throwsAsync(store.record('s', record(4), 3), { message: /revision 4 of stack s already exists/ });
});

test('revisions: a large record is stored in chunks with a manifest, and read back whole', async (t) => {
  const store = fresh();
  const big = record(1, randomBytes(800 * 1024).toString('base64'));
  await store.record('s', big, 20);
  const dir = path.join(store.root, 's', 'revisions', '0000000001');
  t.true(readdirSync(path.join(dir, 'chunks')).length > 1);
  t.is(JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).encoding, 'zlib');
  t.deepEqual(await store.get('s', 1), big);
});

test('revisions: chunks without a manifest (a writer that died) are invisible', async (t) => {
  const store = fresh();
  await store.record('s', record(1), 20);
  const orphan = path.join(store.root, 's', 'revisions', '0000000002', 'chunks');
  spawnSync('mkdir', ['-p', orphan]);
  writeFileSync(path.join(orphan, '0'), 'half');
  t.deepEqual(
    (await store.list('s')).map((r) => r.number),
    [1],
  );
  t.true(existsSync(orphan));
});

test('identity: none before the first claim; a claim makes one, later claims and reads return it; another directory has another', async (t) => {
  const store = fresh();
  t.is(await store.identity('s'), undefined);
  const made = await store.claimIdentity('s');
  t.regex(made.id, /^[0-9a-f-]{36}$/);
  t.is(made.state, store.where);
  t.deepEqual(await store.claimIdentity('s'), made);
  t.deepEqual(await store.identity('s'), made);
  t.not((await fresh().claimIdentity('s')).id, made.id);
  t.is(await store.identity('other'), undefined);
});

test('identity: a file that does not hold one is an error naming it, never replaced by a new identity', async (t) => {
  const store = fresh();
  await store.claimIdentity('s');
  const file = path.join(store.root, 's', 'identity.json');
  writeFileSync(file, '{"id": "$(reboot)"}');
  await t.throwsAsync(() => store.identity('s'), { message: new RegExp(`${file} does not hold a stack identity`) });
  await t.throwsAsync(() => store.claimIdentity('s'), { message: /does not hold a stack identity/ });
  t.is(readFileSync(file, 'utf8'), '{"id": "$(reboot)"}');
});
