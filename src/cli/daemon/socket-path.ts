/**
 * Where the daemon's socket is, and whether a socket found there may be trusted with a client's environment (which
 * holds its tokens): only a socket owned by this user, in a directory owned by this user that no one else can write
 * to. A socket of another user is never used — a client warns and runs the command itself.
 */
import { lstatSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** STACK_DAEMON_SOCKET, else $XDG_RUNTIME_DIR/stack/daemon.sock, else /run/stack (root) or $TMPDIR/stack-UID. */
export function daemonSocketPath(env: Record<string, string | undefined>, uid: number): string {
  if (env.STACK_DAEMON_SOCKET) return path.resolve(env.STACK_DAEMON_SOCKET);
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'stack', 'daemon.sock');
  return uid === 0 ? '/run/stack/daemon.sock' : path.join(os.tmpdir(), `stack-${uid}`, 'daemon.sock');
}

/** Why the directory may not hold this user's socket, or undefined when it may (missing counts as may: made 0700). */
export function untrustedDirectory(dir: string, uid: number): string | undefined {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st) return undefined;
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (st.uid !== uid) return `${dir} belongs to uid ${st.uid}, not to you (uid ${uid})`;
  if (st.mode & 0o022) return `${dir} can be written to by others (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}

export type SocketTrust = { state: 'absent' } | { state: 'trusted' } | { state: 'untrusted'; why: string };

/** Whether a socket at `socket` exists and may be given this user's environment. */
export function socketTrust(socket: string, uid: number): SocketTrust {
  const st = lstatSync(socket, { throwIfNoEntry: false });
  if (!st) return { state: 'absent' };
  const dir = untrustedDirectory(path.dirname(socket), uid);
  if (dir) return { state: 'untrusted', why: dir };
  if (!st.isSocket()) return { state: 'untrusted', why: `${socket} is not a socket` };
  if (st.uid !== uid) return { state: 'untrusted', why: `${socket} belongs to uid ${st.uid}, not to you (uid ${uid})` };
  return { state: 'trusted' };
}
