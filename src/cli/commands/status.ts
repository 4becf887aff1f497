/** `stack status`: per service and host, desired / running / healthy (list calls only). */
import type { Command } from 'commander';
import { clientsFor } from '../../docker/client.js';
import { observe } from '../../observe/index.js';
import { place } from '../../plan/placement.js';
import { statusRows } from '../../plan/status.js';
import { printStatus } from '../views/status.js';
import { addStackOptions, failOnPlanErrors, loadDesired, type CommonOptions } from './plan.js';

export function registerStatus(program: Command): void {
  const cmd = program.command('status').description('Show per service and host how many containers are desired, running and healthy').option('--json', 'print as JSON');
  addStackOptions(cmd).action(async (opts: CommonOptions) => {
    const desired = await loadDesired(opts);
    const observed = await observe(desired, clientsFor(desired.hosts), { resolveDigests: false });
    const unreachable = Object.values(observed.hosts).filter((h) => h.error);
    const usable = new Set(Object.values(observed.hosts).filter((h) => !h.error).map((h) => h.name));
    const { placement } = place(desired, observed, usable);
    printStatus(desired.name, statusRows(desired, observed, placement), { json: opts.json });
    failOnPlanErrors(unreachable.map((h) => ({ severity: 'error', summary: `host ${h.name} is unreachable: ${h.error}`, where: { host: h.name } })));
  });
}
