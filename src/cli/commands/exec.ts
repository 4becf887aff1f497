/**
 * `stack exec SERVICE[.N] [--host H] -- CMD…`: runs a command in one replica; its exit code is the CLI's. With stdin
 * a terminal: a TTY in raw mode, resized with the terminal; otherwise plain pipes (stdout and stderr apart, byte for
 * byte), so it works in scripts.
 */
import type { Command } from 'commander';
import { clientsFor } from '../../docker/client.js';
import { ExitError, type Diagnostic } from '../../errors.js';
import { runExec, type ExecIO } from '../../streams/exec.js';
import { chooseReplica } from '../../streams/choose.js';
import { addStackOptions } from '../stack-options.js';
import { loadDesired, type CommonOptions } from '../load.js';
import { addStoreOption, type StoreOptions } from '../store-options.js';
import { ownerOrWarn } from '../stack-owner.js';
import { targetsFrom } from '../targets.js';
import { printDiagnostics } from '../views/diagnostics.js';

interface ExecOptions extends CommonOptions, StoreOptions {
  host?: string;
}

export function registerExec(program: Command): void {
  const cmd = program
    .command('exec')
    .usage('[options] SERVICE[.N] -- CMD [ARG…]')
    .argument('<service>', 'SERVICE (its first healthy replica, or running one without a healthcheck) or SERVICE.N')
    .argument('<command...>', 'the command and its arguments, after --')
    .description("Run a command in one of a service's replicas; its exit code is stack's")
    .option('--host <name>', 'a replica on this host');
  addStoreOption(addStackOptions(cmd)).action(async (service: string, command: string[], opts: ExecOptions) => {
    const desired = await loadDesired(opts, { checkPolicy: false });
    const [target] = targetsFrom(desired, [service]);
    if (opts.host !== undefined && !desired.hosts.some((h) => h.name === opts.host))
      throw new ExitError(1, [
        {
          severity: 'error',
          summary: `--host ${opts.host}: no such host in the stack's hosts`,
          hint: `hosts: ${desired.hosts.map((h) => h.name).join(', ')}`,
        },
      ]);
    const owner = await ownerOrWarn(desired, opts);
    const clients = clientsFor(desired.hosts.filter((h) => opts.host === undefined || h.name === opts.host));
    const chosen = await chooseReplica(clients, { stack: desired.name, owner, targets: [target] });
    if (chosen.unreachable.length) printDiagnostics(chosen.unreachable.map(unreachableWarning));
    if (!chosen.replica) throw new ExitError(1, [noReplica(service, opts.host, chosen.unreachable.length > 0)]);
    const client = clients.get(chosen.replica.host)!;
    process.exitCode = await withTerminal((io) => runExec(client, chosen.replica!.id, command, io));
  });
}

const unreachableWarning = (u: { host: string; message: string }): Diagnostic => ({
  severity: 'warning',
  summary: `host ${u.host} is unreachable: ${u.message}`,
});

function noReplica(service: string, host: string | undefined, someUnreachable: boolean): Diagnostic {
  return {
    severity: 'error',
    summary: `no running replica of ${service}${host ? ` on host ${host}` : ''}${someUnreachable ? ' on the hosts that answered' : ''}`,
    hint: 'stack status (or stack logs) shows where its replicas are and why they stopped',
  };
}

/** The process's streams for an exec: stdin in raw mode while the command runs when it is a terminal. */
async function withTerminal(run: (io: ExecIO) => Promise<number>): Promise<number> {
  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  const io: ExecIO = { stdin, stdout: process.stdout, stderr: process.stderr };
  if (tty) {
    const out = process.stdout;
    io.terminal = {
      size: () => ({ columns: out.columns || 80, rows: out.rows || 24 }),
      onResize: (listener) => {
        out.on('resize', listener);
        return () => out.off('resize', listener);
      },
    };
    stdin.setRawMode(true);
  }
  try {
    return await run(io);
  } finally {
    if (tty) stdin.setRawMode(false);
    stdin.destroy(); // a pipe still open must not keep the process alive once the command is done
  }
}
