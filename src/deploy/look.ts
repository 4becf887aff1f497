/**
 * The read-only look before the lock (apply, not destroy or rollback): when nobody holds the lock and the
 * plan is empty, the run ends there — no lock taken, nothing written to Consul or the state directory.
 */
import type { DesiredState } from '../stack/types.js';
import { planStack } from '../apply/pipeline.js';
import { hashStored, storeDesired } from '../state/revision.js';
import type { RevisionSummary } from '../state/types.js';
import { countsOf } from './io.js';
import type { HashKey } from '../sensitive.js';
import { lockTimeoutMs, withStore } from './locked.js';
import type { DeployOptions } from './options.js';

/**
 * True (and the empty plan reported) when the lock is free and the plan has no operation and no error. Any
 * other outcome (held lock, changes, errors) returns false: the caller takes the lock and does everything
 * again under it. A writer that takes the lock right after the look changes the hosts after this run's
 * observation: this run is then ordered before it, as if it had held the lock first. The look is taken only
 * when it can pay off: the newest revision is an apply that ended ok with this very stack (same hash of the
 * normalised stack). A first apply, a changed file, or a failed last apply take the lock at once — their plan
 * has changes, so a look would only add one observe.
 */
export async function unchangedWithoutLock(desired: DesiredState, opts: DeployOptions): Promise<boolean> {
  const { signals, io } = opts;
  lockTimeoutMs(opts.lockTimeout);
  return withStore(desired, opts, 'the apply lock', async ({ store }) => {
    signals.enter('reading the lock');
    const [holder, latest, owner, hashKey] = await signals.until(
      Promise.all([
        store.holder(desired.name),
        store.latest(desired.name),
        store.identity(desired.name),
        store.hashKey(desired.name),
      ]),
    );
    if (holder || !owner || !hashKey || !sameAsLatest(desired, latest, hashKey)) return false;
    signals.enter('observing the hosts');
    // The hosts' lists go beside their pings, at the API versions the last apply spoke (its revision keeps them).
    const apiHints = latest?.apiVersions;
    const planned = await signals.until(planStack(desired, { ...opts.planning(desired), owner, hashKey, apiHints }));
    signals.enter('planning');
    const { plan } = planned;
    if (plan.operations.length || plan.diagnostics.some((d) => d.severity === 'error')) return false;
    io.showPlan(plan);
    io.noChanges(countsOf(planned.clients));
    return true;
  });
}

/** Was the newest revision a successful apply of this same desired stack? Then a no-op is likely. */
export function sameAsLatest(desired: DesiredState, latest: RevisionSummary | undefined, key: HashKey): boolean {
  return (
    !!latest &&
    latest.result === 'ok' &&
    latest.kind !== 'destroy' &&
    latest.hash === hashStored(storeDesired(desired, key))
  );
}
