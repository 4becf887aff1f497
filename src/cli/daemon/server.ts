/**
 * `stack daemon`'s socket: a unix socket only this user can reach (mode 0600 in a directory of this user that no one
 * else can write to), taking one request per connection and running the requests one after another
 * (run-request.ts: a run takes over the process's environment and streams). A request from another build of stack
 * falls back; one from another build at the same place means stack was rebuilt or upgraded there, and the daemon
 * ends after answering it, so that it never serves an old build.
 */
import { mkdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ExitError } from '../../errors.js';
import { parseRequest, residentCommand, type BuildIdentity, type DaemonReply, type DaemonRequest } from './protocol.js';
import { runRequest } from './run-request.js';
import { socketTrust, untrustedDirectory } from './socket-path.js';
import { endSshConnections } from '../../docker/ssh/pool.js';

const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const REQUEST_WITHIN_MS = 10_000;

export interface ServedRun {
  argv: string[];
  cwd: string;
  reply: DaemonReply;
  ms: number;
}

export interface DaemonOptions {
  socket: string;
  build: BuildIdentity;
  /** Runs a command line as the CLI does (main), returning its exit code. */
  run: (argv: string[]) => Promise<number>;
  /** Told once the socket accepts connections. */
  listening: () => void;
  /** Told after each request, with how it ended. */
  served: (run: ServedRun) => void;
  /** Ends the daemon (SIGINT/SIGTERM). */
  stop: AbortSignal;
  /** How long a connection may take to send its request (default 10 s). */
  requestWithinMs?: number;
}

/** The entry file of a build identity (its first field): the same place rebuilt is the same file, another mtime. */
const entryOf = (build: BuildIdentity) => build.split(' ')[0];

async function listening(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socket, () => (probe.destroy(), resolve(true)));
    probe.on('error', () => resolve(false));
  });
}

/** The socket's directory made (0700) or checked; a socket left by a daemon that is gone removed. */
async function prepareSocket(socket: string, uid: number): Promise<void> {
  const dir = path.dirname(socket);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const why = untrustedDirectory(dir, uid);
  const fail = (summary: string, hint: string) => new ExitError(1, [{ severity: 'error', summary, hint }]);
  if (why) throw fail(`cannot serve at ${socket}: ${why}`, 'give --socket a path in a directory only you can write to');
  const trust = socketTrust(socket, uid);
  if (trust.state === 'untrusted') throw fail(`cannot serve at ${socket}: ${trust.why}`, 'remove it, or give --socket');
  if (trust.state === 'absent') return;
  if (await listening(socket))
    throw fail(`a stack daemon already listens at ${socket}`, 'stop it first, or give --socket');
  unlinkSync(socket);
}

/** The request a connection sends (all of it, until the client ends its side), or why it is none. */
function readRequest(conn: net.Socket, withinMs: number): Promise<DaemonRequest | { invalid: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    conn.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) return (conn.destroy(), resolve({ invalid: 'request too large' }));
      chunks.push(chunk);
    });
    conn.on('end', () => (conn.setTimeout(0), resolve(parseRequest(Buffer.concat(chunks).toString('utf8')))));
    conn.on('error', () => resolve({ invalid: 'the client went away' }));
    // A client that connects and sends nothing must not hold the queue: a request comes at once or not at all.
    conn.setTimeout(withinMs, () => (conn.destroy(), resolve({ invalid: `no request within ${withinMs} ms` })));
  });
}

/** Serves until `stop`; the socket is removed when it ends. */
export async function serveDaemon(opts: DaemonOptions): Promise<void> {
  const uid = process.getuid?.() ?? -1;
  await prepareSocket(opts.socket, uid);
  let queue = Promise.resolve();
  const server = net.createServer({ allowHalfOpen: true }, (conn) => {
    // answer() settles whatever the client does; a failure of one request must not stop the queue.
    queue = queue.then(() => answer(conn, opts, () => server.close())).catch(() => void conn.destroy());
  });
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(opts.socket, resolve));
  } finally {
    process.umask(umask);
  }
  const closed = new Promise<void>((resolve) => server.once('close', resolve));
  opts.listening();
  const stop = () => server.close();
  opts.stop.addEventListener('abort', stop, { once: true });
  if (opts.stop.aborted) stop();
  await closed;
  await queue;
}

/** One connection: its request run (or refused), the replies written, the connection ended. */
async function answer(conn: net.Socket, opts: DaemonOptions, end: () => void): Promise<void> {
  const started = performance.now();
  const req = await readRequest(conn, opts.requestWithinMs ?? REQUEST_WITHIN_MS);
  if ('invalid' in req) return void conn.end(`${JSON.stringify({ kind: 'fallback', reason: req.invalid })}\n`);
  const replies = await repliesTo(req, opts, end);
  // No connection outlives its run: the next run opens its own, with its client's settings (known_hosts, agent).
  endSshConnections();
  const last = replies.at(-1)!;
  opts.served({ argv: req.argv, cwd: req.cwd, reply: last, ms: performance.now() - started });
  if (!conn.destroyed) conn.end(replies.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

async function repliesTo(req: DaemonRequest, opts: DaemonOptions, end: () => void): Promise<DaemonReply[]> {
  if (req.build !== opts.build) {
    // The same entry file with another mtime or Node: stack was rebuilt there. Serve no more with the old one.
    if (entryOf(req.build) === entryOf(opts.build)) end();
    return [{ kind: 'fallback', reason: `another build of stack (${req.build}; the daemon runs ${opts.build})` }];
  }
  if (!residentCommand(req.argv)) return [{ kind: 'fallback', reason: `the daemon does not serve ${req.argv[0]}` }];
  return runRequest(req, opts.run);
}
