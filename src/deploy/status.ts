/** What `stack status` writes: a fresh health snapshot of the stack's replicas in Consul's catalog. */
import type { Diagnostic } from '../errors.js';
import type { DesiredState } from '../stack/types.js';
import type { StackOwner } from '../labels.js';
import { openStateStore } from '../state/open.js';
import { resolveConsulConfig } from '../consul/config.js';
import { lockInfo } from '../state/lock-info.js';
import { LockTimeoutError, describeHolder, type HeldLock } from '../state/types.js';
import { syncCatalog } from './catalog-sync.js';
import type { DeployIO, StoreOptions } from './io.js';

const notUpdated = (err: unknown): Diagnostic => ({
  severity: 'warning',
  summary: `could not update the Consul catalog: ${err instanceof Error ? err.message : String(err)}`,
});

/**
 * With Consul configured: the catalog gets a fresh health snapshot of the stack's replicas — under the stack's
 * lock, taken without waiting, so it never races an apply's own catalog sync (which registers and deregisters
 * replicas). While another run holds the lock, status says so and leaves the catalog to that run.
 */
export async function refreshCatalog(
  desired: DesiredState,
  opts: StoreOptions,
  owner: StackOwner | undefined,
  io: Pick<DeployIO, 'warn'>,
): Promise<void> {
  if (!resolveConsulConfig(opts.consul, opts.env, desired.settings)) return;
  let opened: ReturnType<typeof openStateStore>;
  try {
    opened = openStateStore(desired, opts.consul, opts.env);
  } catch (err) {
    return io.warn([notUpdated(err)]);
  }
  const consul = opened.consul;
  if (!consul) return opened.store.close();
  let lock: HeldLock | undefined;
  try {
    lock = await opened.store.acquire(desired.name, lockInfo(desired.name, 'status', opts.env), { timeoutMs: 0 });
    const revision = (await opened.store.list(desired.name)).at(-1)?.number;
    await syncCatalog(consul, desired, { revision, owner });
  } catch (err) {
    if (err instanceof LockTimeoutError)
      io.warn([
        {
          severity: 'warning',
          summary: `the Consul catalog's health was not refreshed: stack ${desired.name} is locked${err.holder ? ` by ${describeHolder(err.holder)}` : ''}`,
          detail: 'the run holding the lock updates the catalog itself',
        },
      ]);
    else io.warn([notUpdated(err)]);
  } finally {
    await lock?.release().catch(() => undefined);
    opened.store.close();
  }
}
