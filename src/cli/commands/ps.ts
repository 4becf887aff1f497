/** `stack ps [SERVICE…]`: every container of the stack on every host (read-only). */
import type { Command } from 'commander';
import { ExitError } from '../../errors.js';
import { psRows } from '../../plan/ps.js';
import { printPs } from '../views/ps.js';
import { addStackOptions } from '../stack-options.js';
import { loadDesired, type CommonOptions } from '../load.js';
import { buildImages } from './build.js';
import { printDiagnostics } from '../views/diagnostics.js';
import { addStoreOption, storeFrom, type StoreOptions } from '../store-options.js';
import { failOnPlanErrors } from '../../deploy/run.js';
import { containerDetails, gather } from '../../operate/gather.js';
import type { DesiredState } from '../../stack/types.js';

interface PsCommandOptions extends CommonOptions, StoreOptions {
  all?: boolean;
}

function checkServices(desired: DesiredState, services: string[]): void {
  const known = Object.keys(desired.services).sort();
  const unknown = services.filter((s) => !desired.services[s]);
  if (unknown.length)
    throw new ExitError(
      1,
      unknown.map((s) => ({
        severity: 'error',
        summary: `no service ${s} in stack ${desired.name}`,
        hint: `name one of: ${known.join(', ') || '(none)'}`,
      })),
    );
}

export function registerPs(program: Command): void {
  const cmd = program
    .command('ps')
    .argument('[service...]', 'only these services')
    .description(
      "List every container of the stack on every host: replica, host, state, health (- without a healthcheck), image and digest, ports, uptime, restarts, and drift (its config differs from the file's)",
    )
    .option('-a, --all', 'also stopped containers and rollout leftovers (kept, temporary)')
    .option('--json', 'print as one JSON document (see docs/operating.md)');
  addStoreOption(addStackOptions(cmd)).action(async (services: string[], opts: PsCommandOptions) => {
    const desired = (await buildImages(await loadDesired(opts, { checkPolicy: false }), opts, 'lookup', () => {}))
      .desired;
    checkServices(desired, services);
    const g = await gather(desired, storeFrom(opts));
    if (g.warnings.length) printDiagnostics(g.warnings);
    const details = await containerDetails(g);
    const rows = psRows(desired, g.observed, { all: opts.all, services, details, hashKey: g.hashKey });
    printPs(desired.name, rows, { json: opts.json });
    failOnPlanErrors(g.unreachable);
  });
}
