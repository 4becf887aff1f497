/**
 * The stack's identity for a command that only reads (status, logs, exec). A state store it cannot reach (Consul
 * down) does not stop it: it warns and goes on with every container that carries the stack's labels, whatever
 * identity they carry (undefined).
 */
import type { StackOwner } from '../labels.js';
import type { DesiredState } from '../stack/types.js';
import { readOwner } from '../deploy/locked.js';
import { printDiagnostics } from './views/diagnostics.js';
import { storeFrom, type StoreOptions } from './store-options.js';

export async function ownerOrWarn(desired: DesiredState, opts: StoreOptions): Promise<StackOwner | undefined> {
  try {
    return await readOwner(desired, storeFrom(opts));
  } catch (err) {
    const summary = err instanceof Error ? err.message : String(err); // an ExitError's message is its diagnostics' summaries
    printDiagnostics([
      {
        severity: 'warning',
        summary: `could not read the identity of stack ${desired.name}: ${summary}`,
        detail: 'going on with every container that has its labels, whichever stack identity made them',
      },
    ]);
    return undefined;
  }
}
