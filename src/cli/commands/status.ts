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
import type { ObservedState } from '../../observe/types.js';
import { hasStackLabels } from '../../observe/owner.js';
import { ownerOrWarn } from '../stack-owner.js';
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

function countEveryIdentity(observed: ObservedState): void {
  for (const h of Object.values(observed.hosts))
    h.containers = [
      ...h.containers,
      ...(h.foreignContainers ?? []).filter((c) => hasStackLabels(c.labels, observed.stack)),
    ];
}
