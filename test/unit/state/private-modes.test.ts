/**
 * The local state directory is private: every folder the store creates is 0700 and every file 0600, whatever the
 * process's umask; a folder or file that group or others may access is warned about once, with the fix.
 * Serial: the tests set the process's umask.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { modes } from '../../helpers/file-modes.js';
import { revisionRecord } from '../../helpers/revision-record.js';
import { LocalStateStore } from '../../../src/state/local-store.js';
import { lockInfo } from '../../../src/state/lock-info.js';
import type { Diagnostic } from '../../../src/errors.js';
import { formatDiagnostic } from '../../../src/cli/views/diagnostics.js';

const record = (number: number) => revisionRecord(number);

/** What an apply with a lock does to a fresh state directory under `umask`: identity, lock held, two revisions. */
async function applyTwice(umask: number): Promise<{ root: string; held: Map<string, string> }> {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'stack-modes-'));
  const root = path.join(parent, 'nested', 'state');
  const old = process.umask(umask);
  try {
    const store = new LocalStateStore(root);
    await store.claimIdentity('s');
    const lock = await store.acquire('s', lockInfo('s', 'apply', {}), { timeoutMs: 0 });
    await store.record('s', record(1), 10);
    await store.record('s', record(2), 10);
    const held = modes(path.join(parent, 'nested'));
    await lock.release();
    return { root, held };
  } finally {
    process.umask(old);
  }
}

for (const umask of [0o000, 0o022]) {
  test.serial(
    `umask ${umask.toString(8).padStart(3, '0')}: every folder the store creates is 0700, every file 0600`,
    async (t) => {
      const { root, held } = await applyTwice(umask);
      t.true(held.has('state/s/lock.json'), 'the lock file was there while held');
      t.true(held.has('state/s/identity.json'));
      t.true(held.has('state/s/revisions/0000000002/chunks/0'));
      for (const [p, mode] of held) t.regex(mode, /^(700\/|600)$/, p);
      t.is([...held.values()].filter((m) => m === '600').length, 6, 'identity, lock, two manifests, two chunks');
      t.deepEqual(readdirSync(path.join(root, 's')).sort(), ['identity.json', 'revisions']);
    },
  );
}

test.serial('a 0644 state file: one warning per store naming the path and the chmod that fixes it', async (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'stack-modes-'));
  chmodSync(root, 0o700);
  const before = new LocalStateStore(root);
  await before.claimIdentity('s');
  await before.record('s', record(1), 10);
  const identity = path.join(root, 's', 'identity.json');
  chmodSync(identity, 0o644);
  chmodSync(path.join(root, 's', 'revisions'), 0o755);

  const warned: Diagnostic[] = [];
  const store = new LocalStateStore(root, (d) => warned.push(d));
  await store.identity('s');
  await store.list('s');
  await store.get('s', 1);
  await store.identity('s');
  t.is(warned.length, 1);
  t.is(warned[0].severity, 'warning');
  t.is(warned[0].summary, `local state file ${identity} can be read by group or others (mode 0644)`);
  t.is(warned[0].hint, `chmod 600 ${identity}, or for the whole state directory: chmod -R go= ${root}`);
  t.regex(formatDiagnostic(warned[0]), /leaves the mode of existing ones/);
  t.is(lstatSync(identity).mode & 0o777, 0o644, 'the mode is reported, not changed');
});

test.serial(
  'a 0755 state folder is warned about; a private directory is not; without a receiver nothing is checked',
  async (t) => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'stack-modes-'));
    chmodSync(root, 0o700);
    await new LocalStateStore(root).claimIdentity('s');
    const quiet: Diagnostic[] = [];
    await new LocalStateStore(root, (d) => quiet.push(d)).identity('s');
    t.deepEqual(quiet, []);

    chmodSync(root, 0o755);
    const warned: Diagnostic[] = [];
    await new LocalStateStore(root, (d) => warned.push(d)).identity('s');
    t.is(warned.length, 1);
    t.regex(warned[0].summary, /^local state folder .* can be read by group or others \(mode 0755\)$/);
    t.regex(warned[0].hint ?? '', /^chmod 700 /);
    await t.notThrowsAsync(new LocalStateStore(root).identity('s'));
  },
);

test.serial('a path with a space or a quote is quoted for the shell in the hint', async (t) => {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'stack-modes-')), "it's here");
  mkdirSync(root, { mode: 0o755 });
  await new LocalStateStore(root).claimIdentity('s');
  const warned: Diagnostic[] = [];
  await new LocalStateStore(root, (d) => warned.push(d)).identity('s');
  t.is(warned.length, 1);
  t.true(warned[0].hint?.startsWith(`chmod 700 '${root.replace("'", `'\\''`)}'`), warned[0].hint);
});
