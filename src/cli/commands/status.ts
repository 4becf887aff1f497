/** `stack status`: per service and host, desired / running / healthy (list calls only), counted from ps's rows. */
import type { Command } from 'commander';
import { place } from '../../plan/placement.js';
import { statusRows } from '../../plan/status.js';
import { psRows } from '../../plan/ps.js';
import { printStatus } from '../views/status.js';
import { addStackOptions } from '../stack-options.js';
import { loadDesired, type CommonOptions } from '../load.js';
import { buildImages } from './build.js';
import { printDiagnostics } from '../views/diagnostics.js';
import { addStoreOption, storeFrom, type StoreOptions } from '../store-options.js';
import { failOnPlanErrors } from '../../deploy/run.js';
import { refreshCatalog } from '../../deploy/status.js';
import { gather } from '../../operate/gather.js';

export function registerStatus(program: Command): void {
  const cmd = program
    .command('status')
    .description(
      'Show per service and host how many containers are desired, running and healthy (- where the service has no healthcheck)',
    )
    .option('--json', 'print as JSON');
  addStoreOption(addStackOptions(cmd)).action(async (opts: CommonOptions & StoreOptions) => {
    const desired = (await buildImages(await loadDesired(opts, { checkPolicy: false }), opts, 'lookup', () => {}))
      .desired;
    const g = await gather(desired, storeFrom(opts));
    if (g.warnings.length) printDiagnostics(g.warnings);
    const { placement } = place(desired, g.observed, g.usable);
    const rows = psRows(desired, g.observed, { all: true });
    printStatus(desired.name, statusRows(desired, rows, placement), { json: opts.json, latest: g.latest });
    await refreshCatalog(desired, storeFrom(opts), g.owner, { warn: printDiagnostics });
    failOnPlanErrors(g.unreachable);
  });
}
