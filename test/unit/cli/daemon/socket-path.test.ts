import test from 'ava';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { daemonSocketPath, socketTrust, untrustedDirectory } from '../../../../src/cli/daemon/socket-path.js';

const uid = process.getuid!();

async function socketAt(file: string): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(file, resolve));
  return server;
}

test('the socket: STACK_DAEMON_SOCKET, else XDG_RUNTIME_DIR/stack, else /run/stack for root or TMPDIR/stack-UID', (t) => {
  t.is(daemonSocketPath({ STACK_DAEMON_SOCKET: '/a/b.sock', XDG_RUNTIME_DIR: '/run/user/5' }, 5), '/a/b.sock');
  t.is(daemonSocketPath({ XDG_RUNTIME_DIR: '/run/user/5' }, 5), '/run/user/5/stack/daemon.sock');
  t.is(daemonSocketPath({}, 0), '/run/stack/daemon.sock');
  t.is(daemonSocketPath({}, 1000), path.join(os.tmpdir(), 'stack-1000', 'daemon.sock'));
});

test('a socket of this user in a directory only this user writes is trusted; a missing one is absent', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-daemon-trust-'));
  chmodSync(dir, 0o700);
  const sock = path.join(dir, 'd.sock');
  t.deepEqual(socketTrust(sock, uid), { state: 'absent' });
  const server = await socketAt(sock);
  t.teardown(() => server.close());
  t.deepEqual(socketTrust(sock, uid), { state: 'trusted' });
  t.is(untrustedDirectory(dir, uid), undefined);
  t.is(untrustedDirectory(path.join(dir, 'not-made-yet'), uid), undefined);
});

test('a socket others could have put there, or of another user, or not a socket, is not trusted, saying why', async (t) => {
  const open = mkdtempSync(path.join(os.tmpdir(), 'stack-daemon-open-'));
  chmodSync(open, 0o777);
  const inOpen = path.join(open, 'd.sock');
  const s1 = await socketAt(inOpen);
  t.teardown(() => s1.close());
  t.like(socketTrust(inOpen, uid), { state: 'untrusted' });
  t.regex((socketTrust(inOpen, uid) as { why: string }).why, /can be written to by others \(mode 777\)/);

  const mine = mkdtempSync(path.join(os.tmpdir(), 'stack-daemon-mine-'));
  chmodSync(mine, 0o700);
  const theirs = path.join(mine, 'theirs.sock');
  const s2 = await socketAt(theirs);
  t.teardown(() => s2.close());
  chownSync(theirs, 65534, 65534);
  t.regex((socketTrust(theirs, uid) as { why: string }).why, /belongs to uid 65534, not to you/);

  const file = path.join(mine, 'file.sock');
  writeFileSync(file, '');
  t.regex((socketTrust(file, uid) as { why: string }).why, /is not a socket/);

  const foreignDir = path.join(mine, 'foreign');
  mkdirSync(foreignDir, { mode: 0o700 });
  chownSync(foreignDir, 65534, 65534);
  t.regex(untrustedDirectory(foreignDir, uid)!, /belongs to uid 65534/);
  t.regex(untrustedDirectory(file, uid)!, /is not a directory/);
});
