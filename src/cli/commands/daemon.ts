/**
 * `stack daemon`: keeps stack loaded in a process of its own, so that `stack apply`, `stack plan` and
 * `stack validate` run there instead of starting Node and loading the CLI each time (the client side is
 * src/cli/daemon/client.ts, tried by bin/stack.js first). The daemon only ever reads: an apply runs up to its
 * read-only look, and one that needs the lock, a build or a change goes back to the client to run itself
 * (docs/daemon.md). Foreground; SIGINT or SIGTERM ends it.
 */
import type { Command } from 'commander';
import { ExitError } from '../../errors.js';
import type { BuildIdentity } from '../daemon/protocol.js';
import { serveDaemon } from '../daemon/server.js';
import { daemonSocketPath } from '../daemon/socket-path.js';
import { endHostWatches, watchHosts } from '../../docker/host-watch.js';
import { printDaemonListening, printDaemonServed, printDaemonStopped } from '../views/daemon.js';

export interface DaemonProcess {
  /** The build this process runs (bin/stack.js says it); undefined when the CLI was not started by bin/stack.js. */
  build?: BuildIdentity;
  run: (argv: string[]) => Promise<number>;
}

async function runDaemon(socket: string, me: DaemonProcess): Promise<void> {
  if (!me.build)
    throw new ExitError(1, [
      { severity: 'error', summary: 'stack daemon runs only from the stack command (bin/stack.js)' },
    ]);
  // The daemon's own stderr: while a request runs, process.stderr is the client's.
  const log = process.stderr;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Hosts' lists are kept from run to run while their event streams are quiet (src/docker/host-watch.ts).
  watchHosts();
  try {
    await serveDaemon({
      socket,
      build: me.build,
      run: me.run,
      listening: () => printDaemonListening(socket, log),
      served: (run) => printDaemonServed(run, log),
      stop: stop.signal,
    });
    printDaemonStopped(log);
  } finally {
    endHostWatches();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function registerDaemon(program: Command, me: DaemonProcess): void {
  program
    .command('daemon')
    .description(
      'Keep stack loaded in this process (foreground): apply, plan and validate then run here, without starting Node each time — only up to their first write, which their own process does (docs/daemon.md)',
    )
    .option(
      '--socket <path>',
      'the unix socket to listen on (default: STACK_DAEMON_SOCKET, else $XDG_RUNTIME_DIR/stack/daemon.sock, else /run/stack/daemon.sock for root)',
    )
    .action(async (opts: { socket?: string }) => {
      await runDaemon(opts.socket ?? daemonSocketPath(process.env, process.getuid?.() ?? -1), me);
    });
}
