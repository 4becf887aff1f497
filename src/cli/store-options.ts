/** The options of commands that use the state store: `--consul`, and `--lock-timeout` for those that write. */
import type { Command } from 'commander';
import { DEFAULT_LOCK_TIMEOUT } from '../deploy/locked.js';
import type { StoreOptions as DeployStoreOptions } from '../deploy/io.js';
import type { Diagnostic } from '../errors.js';
import { printDiagnostics } from './views/diagnostics.js';

export interface StoreOptions {
  consul?: string;
}

export interface WriteOptions extends StoreOptions {
  lockTimeout?: string;
}

export function addStoreOption(command: Command): Command {
  return command.option(
    '--consul <address>',
    "Consul for the lock, history and catalog; several servers of one cluster comma-separated (default: CONSUL_HTTP_ADDR, then the inventory's consul:, then x-stack.consul when the hosts are not the operator's; none: a local state directory)",
  );
}

export function addWriteOptions(command: Command): Command {
  return addStoreOption(command).option(
    '--lock-timeout <duration>',
    "how long to wait for another run holding the stack's lock (0: fail at once)",
    DEFAULT_LOCK_TIMEOUT,
  );
}

/** The store the command's options and the process's environment point at. */
export function storeFrom(opts: StoreOptions): DeployStoreOptions {
  return { consul: opts.consul, env: process.env, warnState: stateWarning(printDiagnostics) };
}

/**
 * Prints the first warning about the state store and no other: one per run, though a run may open the store twice
 * (apply's look before the lock, then the locked run).
 */
export function stateWarning(print: (diagnostics: Diagnostic[]) => void): (diagnostic: Diagnostic) => void {
  let told = false;
  return (diagnostic) => {
    if (told) return;
    told = true;
    print([diagnostic]);
  };
}
