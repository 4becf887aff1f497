/** What `stack daemon` prints on its own stderr: where it listens, then one line per command it was asked to run. */
import type { ServedRun } from '../daemon/server.js';

const clock = () => new Date().toISOString().slice(11, 19);

export function printDaemonListening(socket: string, stream: NodeJS.WritableStream): void {
  stream.write(`stack daemon: listening on ${socket} (apply, plan and validate run here until one needs to write)\n`);
}

/**
 * One line per request: the command and the client's directory, not its arguments (an option's value may hold a
 * credential, e.g. a Consul URL's user:password@).
 */
export function printDaemonServed(run: ServedRun, stream: NodeJS.WritableStream): void {
  const command = `${run.argv[0] ?? '(none)'} in ${run.cwd}`;
  const ms = `${Math.round(run.ms)} ms`;
  const outcome =
    run.reply.kind === 'exit'
      ? `exit ${run.reply.code}`
      : run.reply.kind === 'fallback'
        ? `left to the client: ${run.reply.reason}`
        : 'no reply';
  stream.write(`${clock()} stack ${command}: ${outcome} (${ms})\n`);
}

export function printDaemonStopped(stream: NodeJS.WritableStream): void {
  stream.write('stack daemon: stopped\n');
}
