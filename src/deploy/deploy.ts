/**
 * The deploy workflow that the CLI (apply, destroy), a reconcile agent and tests call: look before the lock,
 * take the lock, plan, confirm, apply, record the revision, sync the catalog. A non-empty plan records a
 * revision (kind `destroy` for a destroy); with Consul the catalog is synced.
 *
 * A read-only look comes first (apply, not destroy or rollback): when nobody holds the lock and the plan
 * is empty, the run ends there. Otherwise it takes the lock and observes and plans again under it
 * (Terraform's order), and only that plan is shown and applied: what the look saw is never acted upon. A saved
 * plan (`opts.saved`) skips the look: under the lock, the plan made now must be the saved one. With `lookOnly` (the
 * resident process) the run ends after the look: a no-op as always, anything else with WritesNeeded.
 */
import { error, ExitError, WritesNeeded } from '../errors.js';
import type { DesiredState } from '../stack/types.js';
import type { ApplyResult } from '../apply/index.js';
import { unchangedWithoutLock } from './look.js';
import { withStackLock } from './locked.js';
import { runLocked } from './run.js';
import type { DeployOptions } from './options.js';

export type { DeployOptions, PlanningOptions } from './options.js';
export type { DeployIO, StoreOptions, WriteOptions, CallCounts, ConfirmInterrupt } from './io.js';
export { RunSignals } from './run-signals.js';

/** Deploys `desired` (or destroys it with `destroy`); undefined when there was nothing to do. */
export async function deploy(desired: DesiredState, opts: DeployOptions): Promise<ApplyResult | undefined> {
  const command = opts.destroy ? 'destroy' : (opts.command ?? 'apply');
  const unbuilt = opts.destroy ? [] : Object.values(desired.services).filter((s) => s.build !== undefined);
  if (unbuilt.length)
    throw new ExitError(1, [
      error(
        `services ${unbuilt.map((s) => s.name).join(', ')} have build: but no image by digest yet`,
        undefined,
        'resolve their images first (src/build/images.ts resolveBuilds, as stack apply does)',
      ),
    ]);
  if (!opts.destroy && !opts.saved && (await unchangedWithoutLock(desired, opts))) return undefined;
  if (opts.lookOnly) throw new WritesNeeded('the look found changes, a held lock or a first apply');
  opts.signals.enter(`waiting for the lock of stack ${desired.name}`);
  return withStackLock(
    desired,
    opts,
    command,
    opts.io,
    (held) => runLocked(desired, opts, held, command),
    opts.signals.signal,
  );
}
