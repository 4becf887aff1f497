/** `stack status`: per service and host, desired / running / healthy (list calls only). */
import type { Command } from 'commander';
import { clientsFor } from '../../docker/client.js';
import { observe } from '../../observe/index.js';
import { place } from '../../plan/placement.js';
import { statusRows } from '../../plan/status.js';
import { printStatus } from '../views/status.js';
import { addStackOptions } from '../stack-options.js';
import { loadDesired, type CommonOptions } from '../load.js';
import { printDiagnostics } from '../views/diagnostics.js';
import { addStoreOption, storeFrom, type StoreOptions } from '../store-options.js';
import type { StackOwner } from '../../labels.js';
import type { DesiredState } from '../../stack/types.js';
import type { ObservedState } from '../../observe/types.js';
import { hasStackLabels } from '../../observe/owner.js';
import { readOwner } from '../../deploy/locked.js';
import { failOnPlanErrors } from '../../deploy/run.js';
import { refreshCatalog } from '../../deploy/status.js';

export function registerStatus(program: Command): void {
  const cmd = program
    .command('status')
    .description('Show per service and host how many containers are desired, running and healthy')
    .option('--json', 'print as JSON');
  addStoreOption(addStackOptions(cmd)).action(async (opts: CommonOptions & StoreOptions) => {
    const desired = await loadDesired(opts, { checkPolicy: false });
    const owner = await ownerOrWarn(desired, opts);
    const observed = await observe(desired, clientsFor(desired.hosts), { resolveDigests: false, owner });
    if (!owner) countEveryIdentity(observed);
    const unreachable = Object.values(observed.hosts).filter((h) => h.error);
    const usable = new Set(
      Object.values(observed.hosts)
        .filter((h) => !h.error)
        .map((h) => h.name),
    );
    const { placement } = place(desired, observed, usable);
    printStatus(desired.name, statusRows(desired, observed, placement), { json: opts.json });
    await refreshCatalog(desired, storeFrom(opts), owner, { warn: printDiagnostics });
    failOnPlanErrors(
      unreachable.map((h) => ({
        severity: 'error',
        summary: `host ${h.name} is unreachable: ${h.error}`,
        where: { host: h.name },
      })),
    );
  });
}

/**
 * Status only reads, so a state store it cannot reach (Consul down) does not stop it: it warns and counts every
 * container with the stack's labels, whatever identity they carry.
 */
async function ownerOrWarn(desired: DesiredState, opts: StoreOptions): Promise<StackOwner | undefined> {
  try {
    return await readOwner(desired, storeFrom(opts));
  } catch (err) {
    const summary = err instanceof Error ? err.message : String(err); // an ExitError's message is its diagnostics' summaries
    printDiagnostics([
      {
        severity: 'warning',
        summary: `could not read the identity of stack ${desired.name}: ${summary}`,
        detail: 'counting every container with its labels, whichever stack identity made them',
      },
    ]);
    return undefined;
  }
}

function countEveryIdentity(observed: ObservedState): void {
  for (const h of Object.values(observed.hosts))
    h.containers = [
      ...h.containers,
      ...(h.foreignContainers ?? []).filter((c) => hasStackLabels(c.labels, observed.stack)),
    ];
}
