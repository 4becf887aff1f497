/**
 * `stack apply`: take the stack's lock, plan, show it, ask (TTY) or require --yes, then walk the plan;
 * NDJSON events with --json. A non-empty plan records a revision (kind `destroy` for stack destroy); with
 * Consul the catalog is synced.
 *
 * A read-only look comes first (apply, not destroy or rollback): when nobody holds the lock and the plan
 * is empty, the run ends there — no lock taken, nothing written to Consul or the state directory. Otherwise
 * it takes the lock and observes and plans again under it (Terraform's order), and only that plan is shown
 * and applied: what the look saw is never acted upon.
 */
import type { Command } from 'commander';
import { ExitError } from '../../errors.js';
import type { DesiredState } from '../../stack/types.js';
import { applyPlanned, planStack, type Planned } from '../../apply/pipeline.js';
import type { ApplyResult } from '../../apply/index.js';
import { JsonReporter, LineReporter } from '../views/progress.js';
import { printPlan } from '../views/plan.js';
import { printDiagnostics } from '../views/diagnostics.js';
import { planJson } from '../../plan/text.js';
import type { Plan } from '../../plan/types.js';
import { buildRevision, hashStored, storeDesired } from '../../state/revision.js';
import { gitCommit } from '../../state/git-commit.js';
import { userOf } from '../../state/lock-info.js';
import type { RevisionKind, RevisionResult, RevisionSummary } from '../../state/types.js';
import { syncCatalog } from '../../consul/catalog.js';
import { addStackOptions, failOnPlanErrors, loadDesired, type CommonOptions } from './plan.js';
import { confirm } from './confirm.js';
import {
  addWriteOptions,
  lockTimeoutMs,
  storeError,
  withStackLock,
  withStore,
  type Held,
  type WriteOptions,
} from './locking.js';
import { provisionalOwner } from '../../state/identity.js';
import type { StackOwner } from '../../labels.js';
import { addFaultOptions, faultSettingsFrom, graceMsFrom, type FaultCliOptions } from '../fault-options.js';
import { withCommandSignals, type CommandSignals } from '../command-signals.js';
import { operatorContext } from '../operator.js';

export const DEFAULT_KEEP_REVISIONS = 20;

export interface ApplyCommandOptions extends CommonOptions, WriteOptions, FaultCliOptions {
  yes?: boolean;
  refresh?: boolean;
  pruneVolumes?: boolean;
  destroy?: boolean;
}

/** Loads the stack, takes its lock, then plans and applies under it; SIGINT/SIGTERM handled from the start. */
export async function runApplyCommand(opts: ApplyCommandOptions): Promise<ApplyResult | undefined> {
  return withCommandSignals(graceMsFrom(opts), async (signals) => {
    const desired = await loadDesired(opts);
    return runApply(desired, opts, signals);
  });
}

/** Takes the stack's lock, then plans and applies under it (an apply that has nothing to do takes none). */
export async function runApply(
  desired: DesiredState,
  opts: ApplyCommandOptions,
  signals: CommandSignals,
): Promise<ApplyResult | undefined> {
  const command = opts.destroy ? 'destroy' : 'apply';
  if (!opts.destroy && (await unchangedWithoutLock(desired, opts, signals))) return undefined;
  signals.enter(`waiting for the lock of stack ${desired.name}`);
  return withStackLock(
    desired,
    opts,
    command,
    (held) => applyLocked(desired, opts, held, command, signals),
    signals.signal,
  );
}

/**
 * The read-only look before the lock: true (and the empty plan reported) when the lock is free and the plan
 * has no operation and no error. Any other outcome (held lock, changes, errors) returns false: the caller
 * takes the lock and does everything again under it. A writer that takes the lock right after the look
 * changes the hosts after this run's observation: this run is then ordered before it, as if it had held
 * the lock first. The look is taken only when it can pay off: the newest revision is an apply that ended ok
 * with this very stack (same hash of the normalised stack). A first apply, a changed file, or a failed last
 * apply take the lock at once — their plan has changes, so a look would only add one observe.
 */
async function unchangedWithoutLock(
  desired: DesiredState,
  opts: ApplyCommandOptions,
  signals: CommandSignals,
): Promise<boolean> {
  lockTimeoutMs(opts.lockTimeout);
  return withStore(desired, opts, 'the apply lock', async ({ store }) => {
    signals.enter('reading the lock');
    const [holder, latest, owner] = await signals.until(
      Promise.all([store.holder(desired.name), store.latest(desired.name), store.identity(desired.name)]),
    );
    if (holder || !owner || !sameAsLatest(desired, latest)) return false;
    signals.enter('observing the hosts');
    const planned = await signals.until(
      planStack(desired, {
        refresh: opts.refresh,
        pruneVolumes: opts.pruneVolumes,
        skipUnreachable: opts.skipUnreachable,
        faults: faultSettingsFrom(opts),
        owner,
        ...operatorContext(desired, opts.consul),
      }),
    );
    signals.enter('planning');
    const { plan } = planned;
    if (plan.operations.length || plan.diagnostics.some((d) => d.severity === 'error')) return false;
    reportNoChanges(plan, planned.clients, opts);
    return true;
  });
}

/** Was the newest revision a successful apply of this same desired stack? Then a no-op is likely. */
export function sameAsLatest(desired: DesiredState, latest: RevisionSummary | undefined): boolean {
  return (
    !!latest && latest.result === 'ok' && latest.kind !== 'destroy' && latest.hash === hashStored(storeDesired(desired))
  );
}

function reportNoChanges(
  plan: Plan,
  clients: ReadonlyMap<string, { counts: { reads: number; writes: number } }>,
  opts: ApplyCommandOptions,
): void {
  if (opts.json) {
    const reporter = new JsonReporter();
    reporter.event({ type: 'plan', plan: planJson(plan) });
    reporter.event({
      type: 'summary',
      ok: true,
      done: 0,
      failed: 0,
      skipped: 0,
      calls: countsOf(clients),
      failures: [],
    });
  } else printPlan(plan);
}

/**
 * Plan and apply while `held` holds the lock: the path apply, destroy and rollback share. Until operations
 * start, a signal ends it with no change (CommandSignals); after, it interrupts the apply.
 */
export async function applyLocked(
  desired: DesiredState,
  opts: ApplyCommandOptions,
  held: Held,
  command: string,
  signals: CommandSignals,
): Promise<ApplyResult | undefined> {
  signals.enter('reading the stack identity');
  const owner = await signals.until(ownerForWrite(desired, held, opts.destroy === true));
  signals.enter('observing the hosts');
  const fence = held.lock.fence;
  const planned = await signals.until(
    planStack(desired, {
      refresh: opts.refresh,
      pruneVolumes: opts.pruneVolumes,
      destroy: opts.destroy,
      skipUnreachable: opts.skipUnreachable,
      faults: faultSettingsFrom(opts),
      fence,
      owner,
      ...operatorContext(desired, opts.consul),
    }),
  );
  signals.enter('planning');
  const { plan } = planned;
  const reporter = opts.json ? new JsonReporter() : new LineReporter();
  if (opts.json) reporter.event({ type: 'plan', plan: planJson(plan) });
  else printPlan(plan);
  failOnPlanErrors(plan.diagnostics);
  if (plan.operations.length === 0) {
    if (opts.json)
      reporter.event({
        type: 'summary',
        ok: true,
        done: 0,
        failed: 0,
        skipped: 0,
        calls: countsOf(planned.clients),
        failures: [],
      });
    await catalogAfter(desired, held, opts.destroy === true, planned.clients, owner);
    return undefined;
  }
  signals.enter('waiting for the confirmation');
  await signals.until(
    confirm(opts.destroy ? `Destroy stack ${plan.stack}?` : `Apply these changes to stack ${plan.stack}?`, opts.yes, {
      signal: signals.signal,
      onInterrupt: (s) => signals.receive(s),
    }),
  );
  if (held.lock.lost.aborted) throw lostError(held);
  // From here on SIGINT/SIGTERM interrupt the apply: the first starts nothing new and lets operations in
  // flight finish within the grace time; a second (or the end of the grace time) stops at once. Exit 130
  // either way. A lost lock stops new operations the same way. The lock itself is released by withStackLock's finally.
  const { interruption } = signals;
  signals.startApplying((signal, hard) =>
    reporter.event({ type: 'interrupt', reason: signal, hard, graceMs: interruption.graceMs }),
  );
  let result: ApplyResult | undefined;
  try {
    result = await applyPlanned(desired, planned, reporter, {
      signal: AbortSignal.any([interruption.signal, held.lock.lost]),
      hardSignal: interruption.hardSignal,
    });
  } finally {
    if (!held.lock.lost.aborted) {
      const outcome: RevisionResult =
        interruption.requested || !result || result.outcome === 'interrupted'
          ? 'interrupted'
          : result.ok
            ? 'ok'
            : 'failed';
      await recordRevision(desired, plan, held, command, outcome, opts.destroy ? 'destroy' : 'apply', result?.rollouts);
      await catalogAfter(desired, held, opts.destroy === true, planned.clients, owner);
    }
  }
  if (held.lock.lost.aborted) throw lostError(held);
  if (result.outcome === 'interrupted' || interruption.requested)
    throw new ExitError(130, [
      {
        severity: 'error',
        summary: interruption.hardSignal.aborted
          ? 'interrupted: stopped at once; operations in flight may not have finished, run apply again'
          : 'interrupted: operations in flight finished, the rest were skipped; run apply again',
      },
    ]);
  if (!result.ok) throw new ExitError(1, [], `apply failed: ${result.failures.length} operation(s) failed`);
  return result;
}

/**
 * The identity a write acts as: an apply makes it at the stack's first apply (under the lock); a destroy never
 * makes one — without one nothing on the hosts is the stack's, so it removes nothing.
 */
async function ownerForWrite(desired: DesiredState, held: Held, destroy: boolean): Promise<StackOwner> {
  try {
    if (destroy) return (await held.store.identity(desired.name)) ?? provisionalOwner(held.store.where);
    return await held.store.claimIdentity(desired.name);
  } catch (err) {
    const failure = storeError(err, held, 'the stack identity');
    if (failure !== err) throw failure;
    throw new ExitError(1, [
      {
        severity: 'error',
        summary: `cannot read the identity of stack ${desired.name}: ${err instanceof Error ? err.message : String(err)}`,
        detail: 'nothing was changed on any host',
      },
    ]);
  }
}

function lostError(held: Held): ExitError {
  const reason = held.lock.lost.reason instanceof Error ? held.lock.lost.reason.message : 'lost the lock';
  return new ExitError(1, [
    {
      severity: 'error',
      summary: `${reason}; no write was sent to any host or to Consul after that (a write already on its way cannot be recalled), and no revision was recorded`,
      hint: 'run stack plan to see where the hosts are now, then apply again',
    },
  ]);
}

/** Records a revision, with the outcome of each rollout; a failure to record is a warning, never a reason to fail an apply that happened. */
async function recordRevision(
  desired: DesiredState,
  plan: Plan,
  held: Held,
  command: string,
  result: RevisionResult,
  kind: RevisionKind,
  rollouts: ApplyResult['rollouts'] | undefined,
): Promise<void> {
  try {
    const last = (await held.store.list(desired.name)).at(-1)?.number ?? 0;
    const record = buildRevision({
      number: last + 1,
      desired,
      plan,
      result,
      kind,
      command,
      who: `${userOf(process.env)}@${held.lock.info.machine}`,
      when: new Date(),
      commit: gitCommit(desired.workingDir, process.env),
      rollouts,
    });
    await held.store.record(desired.name, record, desired.settings.keepRevisions ?? DEFAULT_KEEP_REVISIONS);
  } catch (err) {
    printDiagnostics([
      {
        severity: 'warning',
        summary: `could not record the revision in ${held.store.where}: ${err instanceof Error ? err.message : String(err)}`,
      },
    ]);
  }
}

/** With Consul: registers the stack's running replicas in the catalog (a health snapshot), deregisters the rest. */
async function catalogAfter(
  desired: DesiredState,
  held: Held,
  destroyed: boolean,
  clients: Planned['clients'],
  owner: StackOwner,
): Promise<void> {
  if (!held.consul) return;
  try {
    // The apply's own host clients: their connections are open already.
    await syncCatalog(held.consul, desired, {
      revision: destroyed ? undefined : (await held.store.list(desired.name)).at(-1)?.number,
      destroyed,
      clients,
      owner,
    });
  } catch (err) {
    printDiagnostics([
      {
        severity: 'warning',
        summary: `could not update the Consul catalog: ${err instanceof Error ? err.message : String(err)}`,
      },
    ]);
  }
}

function countsOf(clients: ReadonlyMap<string, { counts: { reads: number; writes: number } }>) {
  return Object.fromEntries([...clients].map(([h, c]) => [h, { ...c.counts }]));
}

export function registerApply(program: Command): void {
  const cmd = program
    .command('apply')
    .description(
      "Make the hosts match the stack file: take the stack's lock, plan, confirm, then create, replace and remove; records a revision",
    )
    .option('-y, --yes', 'do not ask for confirmation (required without a TTY)')
    .option(
      '--refresh',
      "inspect every container (and the VXLAN devices of stack's own overlay) to also repair drift the config hash cannot see",
    )
    .option('--prune-volumes', 'also remove named volumes that are no longer in the file')
    .option('--json', 'print the plan, then NDJSON events ending with a summary of Engine calls per host');
  addFaultOptions(cmd, { grace: true });
  addWriteOptions(addStackOptions(cmd)).action(async (opts: ApplyCommandOptions) => {
    await runApplyCommand(opts);
  });
}
