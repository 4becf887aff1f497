/**
 * The client side of `stack daemon` (bin/stack.js loads it as its own small bundle, dist/cli/client.cjs, before the
 * CLI's): when a daemon of this user listens and the command is one it serves, the command runs there — Node's start
 * and the CLI's loading were paid once, by the daemon — and its output and exit code come back. In every other case
 * (no socket, a socket not to be trusted, another build, a run that needs to write, a daemon gone) it answers
 * undefined and bin/stack.js runs the command itself, as without a daemon. A daemon's runs never write
 * (src/cli/daemon/resident.ts), so running the command again in-process after a fallback repeats only reads.
 * STACK_NO_DAEMON=1 turns the client off.
 */
import net from 'node:net';
import {
  parseReply,
  residentCommand,
  type BuildIdentity,
  type DaemonReply,
  type DaemonRequest,
  type OutputShape,
} from './protocol.js';
import { daemonSocketPath, socketTrust } from './socket-path.js';
import { printDiagnostics } from '../views/diagnostics.js';

const shape = (stream: NodeJS.WriteStream): OutputShape =>
  stream.isTTY && stream.columns ? { tty: true, columns: stream.columns } : { tty: Boolean(stream.isTTY) };

function request(argv: string[], build: BuildIdentity): DaemonRequest {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return {
    kind: 'run',
    build,
    argv,
    cwd: process.cwd(),
    env,
    stdout: shape(process.stdout),
    stderr: shape(process.stderr),
  };
}

/** The daemon's replies, ending with its exit or fallback; undefined when the exchange broke off. */
function exchange(socket: string, req: DaemonRequest): Promise<DaemonReply[] | 'interrupted' | undefined> {
  return new Promise((resolve) => {
    const replies: DaemonReply[] = [];
    let rest = '';
    const conn = net.connect(socket, () => conn.end(`${JSON.stringify(req)}\n`));
    const interrupted = () => {
      conn.destroy();
      resolve('interrupted');
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    const done = (value: DaemonReply[] | undefined) => {
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      resolve(value);
    };
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const reply = parseReply(line);
        if (!reply) return (conn.destroy(), done(undefined));
        replies.push(reply);
      }
    });
    conn.on('error', () => done(undefined));
    conn.on('close', () => {
      const last = replies.at(-1);
      done(last && last.kind !== 'output' && rest === '' ? replies : undefined);
    });
  });
}

/**
 * Runs the command in this user's daemon: its exit code once its output is written here; undefined when the caller
 * is to run it itself.
 */
export async function runViaDaemon(argv: string[], build: BuildIdentity): Promise<number | undefined> {
  if (!residentCommand(argv) || process.env.STACK_NO_DAEMON) return undefined;
  const uid = process.getuid?.() ?? -1;
  const socket = daemonSocketPath(process.env, uid);
  const trust = socketTrust(socket, uid);
  if (trust.state === 'absent') return undefined;
  if (trust.state === 'untrusted') {
    printDiagnostics([
      {
        severity: 'warning',
        summary: `not using the stack daemon's socket ${socket}: ${trust.why}`,
        hint: 'the command runs in this process; remove that socket, or set STACK_DAEMON_SOCKET to your daemon',
      },
    ]);
    return undefined;
  }
  const replies = await exchange(socket, request(argv, build));
  if (replies === 'interrupted') {
    printDiagnostics([
      { severity: 'error', summary: 'interrupted in the daemon, before any change: no host was changed' },
    ]);
    return 130;
  }
  const last = replies?.at(-1);
  if (!replies || !last || last.kind !== 'exit') return undefined;
  for (const r of replies)
    if (r.kind === 'output') (r.stream === 'stdout' ? process.stdout : process.stderr).write(r.text);
  return last.code;
}
