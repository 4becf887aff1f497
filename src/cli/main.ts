/**
 * The CLI entry point: parses arguments, runs one command, prints through views, returns the exit code.
 * Only bin/stack.js sets the process exit code; commands throw ExitError.
 */
import { Command, CommanderError } from 'commander';
import { ExitError, WritesNeeded } from '../errors.js';
import { printDiagnostics } from './views/diagnostics.js';
import { commands } from './commands/index.js';
import { registerDaemon } from './commands/daemon.js';
import type { BuildIdentity } from './daemon/protocol.js';

export const EXIT_CODES_HELP = `
Exit codes:
  0  success (for plan --detailed-exitcode: no changes)
  1  error: bad input, unreachable host, failed apply; nothing is written for bad input
  2  plan --detailed-exitcode only: the plan has changes
  130 interrupted (SIGINT/SIGTERM: before operations start — lock wait, observe, plan, prompt — nothing is changed;
      after, nothing new starts, operations in flight get --grace seconds; a second signal stops at once;
      logs --follow ends with it on Ctrl-C)
  exec passes the command's own exit code through (126/127 when the Engine cannot start it); 1 when no replica runs

Faults: every Engine call has a time limit (--timeout, --pull-timeout); transient errors are retried with
back-off (--retries); an unreachable host is an error before any write unless --skip-unreachable; a host lost
during apply gets no more work and the rest finishes. A re-run resolves what a failure or interruption left.
See docs/faults.md.

Hosts: unix:///path, tcp://HOST:PORT (TLS files in the inventory, or DOCKER_TLS_VERIFY/DOCKER_CERT_PATH) and
ssh://[USER@]HOST[:PORT] (the host key checked against known_hosts — an unknown or changed key is an error naming
its SHA256 fingerprint; keys from SSH_AUTH_SOCK and identity: or ~/.ssh/id_*; the host runs docker system
dial-stdio), or a docker context: --context NAME > DOCKER_HOST > DOCKER_CONTEXT > docker context use (-i wins over
all; context: NAME for an inventory host), read from DOCKER_CONFIG (default ~/.docker). See docs/transports.md.

Registry credentials: the inventory's registries:, else DOCKER_CONFIG/config.json as docker pull reads it
(credHelpers, credsStore: docker-credential-NAME on PATH, auths); a helper runs only for a registry that is pulled
from or refuses an anonymous digest check, and only for hosts the operator chose. See docs/security.md.`;

/** The program; `build` is the build bin/stack.js started (what `stack daemon` serves). */
export function buildProgram(build?: BuildIdentity): Command {
  const program = new Command('stack')
    .description('Declarative multi-host Docker deployer: apply a compose file to several Docker daemons.')
    .version('0.1.0')
    .showHelpAfterError()
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  for (const register of commands) register(program);
  registerDaemon(program, { build, run: (argv) => main(argv, build) });
  // Every command and subcommand (`hosts check`) exits through main and lists the exit codes.
  const all = (c: Command): Command[] => c.commands.flatMap((sub) => [sub, ...all(sub)]);
  for (const c of all(program)) c.exitOverride().addHelpText('after', EXIT_CODES_HELP);
  return program;
}

/**
 * Runs one command line and returns its exit code. In a run `stack daemon` serves for a client, WritesNeeded goes
 * through to the daemon, which hands the command back to the client.
 */
export async function main(argv: string[], build?: BuildIdentity): Promise<number> {
  const program = buildProgram(build);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof WritesNeeded) throw err;
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return 0;
      return err.exitCode === 0 ? 0 : 1;
    }
    if (err instanceof ExitError) {
      printDiagnostics(err.diagnostics.length ? err.diagnostics : [{ severity: 'error', summary: err.message }]);
      return err.exitCode;
    }
    // An unexpected failure: one line, no stack trace unless STACK_DEBUG is set.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`error: ${message}\n`);
    if (process.env.STACK_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
