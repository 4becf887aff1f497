/** `stack status`: per service and host, desired / running / healthy (list calls only). */
import type { Command } from 'commander';
import { clientsFor } from '../../docker/client.js';
import { observe } from '../../observe/index.js';
import { place } from '../../plan/placement.js';
import { statusRows } from '../../plan/status.js';
import { printStatus } from '../views/status.js';
import { addStackOptions, failOnPlanErrors, loadDesired, type CommonOptions } from './plan.js';
import { openStateStore } from '../../state/open.js';
import { resolveConsulConfig } from '../../consul/config.js';
import { syncCatalog } from '../../consul/catalog.js';
import { printDiagnostics } from '../views/diagnostics.js';
import { addStoreOption, readOwner, type StoreOptions } from './locking.js';
import type { StackOwner } from '../../labels.js';
import type { DesiredState } from '../../stack/types.js';
import type { ObservedState } from '../../observe/types.js';
import { hasStackLabels } from '../../observe/owner.js';
import { lockInfo } from '../../state/lock-info.js';
import { LockTimeoutError, describeHolder, type HeldLock } from '../../state/types.js';

export function registerStatus(program: Command): void {
  const cmd = program
    .command('status')
    .description('Show per service and host how many containers are desired, running and healthy')
    .option('--json', 'print as JSON');
  addStoreOption(addStackOptions(cmd)).action(async (opts: CommonOptions & StoreOptions) => {
    const desired = await loadDesired(opts);
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
    await refreshCatalog(desired, opts, owner);
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
 * With Consul configured: the catalog gets a fresh health snapshot of the stack's replicas — under the stack's
 * lock, taken without waiting, so it never races an apply's own catalog sync (which registers and deregisters
 * replicas). While another run holds the lock, status says so and leaves the catalog to that run.
 */
/**
 * Status only reads, so a state store it cannot reach (Consul down) does not stop it: it warns and counts every
 * container with the stack's labels, whatever identity they carry.
 */
async function ownerOrWarn(desired: DesiredState, opts: StoreOptions): Promise<StackOwner | undefined> {
  try {
    return await readOwner(desired, opts);
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

async function refreshCatalog(
  desired: Parameters<typeof syncCatalog>[1],
  opts: StoreOptions,
  owner: StackOwner | undefined,
): Promise<void> {
  if (!resolveConsulConfig(opts.consul, process.env, desired.settings)) return;
  let opened: ReturnType<typeof openStateStore>;
  try {
    opened = openStateStore(desired, opts.consul, process.env);
  } catch (err) {
    return printDiagnostics([
      {
        severity: 'warning',
        summary: `could not update the Consul catalog: ${err instanceof Error ? err.message : String(err)}`,
      },
    ]);
  }
  const consul = opened.consul;
  if (!consul) return opened.store.close();
  let lock: HeldLock | undefined;
  try {
    lock = await opened.store.acquire(desired.name, lockInfo(desired.name, 'status', process.env), { timeoutMs: 0 });
    const revision = (await opened.store.list(desired.name)).at(-1)?.number;
    await syncCatalog(consul, desired, { revision, owner });
  } catch (err) {
    if (err instanceof LockTimeoutError)
      printDiagnostics([
        {
          severity: 'warning',
          summary: `the Consul catalog's health was not refreshed: stack ${desired.name} is locked${err.holder ? ` by ${describeHolder(err.holder)}` : ''}`,
          detail: 'the run holding the lock updates the catalog itself',
        },
      ]);
    else
      printDiagnostics([
        {
          severity: 'warning',
          summary: `could not update the Consul catalog: ${err instanceof Error ? err.message : String(err)}`,
        },
      ]);
  } finally {
    await lock?.release().catch(() => undefined);
    opened.store.close();
  }
}
