/**
 * Plan and apply while holding the stack's lock: the path apply, destroy and rollback share. Until operations
 * start, a signal ends it with no change (RunSignals); after, it interrupts the apply. Only the plan made
 * under the lock is shown and applied.
 */
import { ExitError, hasErrors, type Diagnostic } from '../errors.js';
import type { DesiredState } from '../stack/types.js';
import type { StackOwner } from '../labels.js';
import { applyPlanned, planStack, type PipelineOptions, type Planned } from '../apply/pipeline.js';
import type { ApplyResult } from '../apply/index.js';
import { countsOf, type DeployIO } from './io.js';
import type { Held } from './locked.js';
import { identityForWrite } from './owner.js';
import type { HashKey } from '../sensitive.js';
import { apiVersionsOf, nextRevision, outcomeOf, recordRevision, type RecordInput } from './record.js';
import { catalogAfter } from './catalog-sync.js';
import type { DeployOptions } from './options.js';
import { refuseStalePlan } from './saved-check.js';
import { gitCommitLater } from '../state/git-commit.js';
import type { RevisionSummary } from '../state/types.js';

/** Plan errors (unreachable host, impossible placement, missing image) end the run with exit 1. */
export function failOnPlanErrors(diagnostics: Diagnostic[]): void {
  if (hasErrors(diagnostics))
    throw new ExitError(
      1,
      diagnostics.filter((d) => d.severity === 'error'),
    );
}

/** Plans under `held` and applies that plan; `command` is what the lock and the revision say ran. */
export async function runLocked(
  desired: DesiredState,
  opts: DeployOptions,
  held: Held,
  command: string,
): Promise<ApplyResult | undefined> {
  const { signals, io } = opts;
  const destroy = opts.destroy === true;
  signals.enter('reading the stack identity');
  const [[owner, hashKey], newest] = await signals.until(
    Promise.all([identityForWrite(desired, held, destroy), newestRevision(desired.name, held)]),
  );
  signals.enter('observing the hosts');
  const planned = await signals.until(
    planStack(desired, {
      ...opts.planning(desired),
      ...observeHints(newest),
      destroy: opts.destroy,
      fence: held.lock.fence,
      owner,
      hashKey,
    }),
  );
  signals.enter('planning');
  if (opts.saved) await signals.until(refuseStalePlan(opts.saved, { desired, planned, hashKey, held }));
  const { plan } = planned;
  io.showPlan(plan);
  failOnPlanErrors(plan.diagnostics);
  if (plan.operations.length === 0) {
    io.noChanges(countsOf(planned.clients));
    await catalogAfter(desired, held, { destroyed: destroy, clients: planned.clients, owner }, io);
    return undefined;
  }
  signals.enter('waiting for the confirmation');
  await signals.until(
    io.confirm(destroy ? `Destroy stack ${plan.stack}?` : `Apply these changes to stack ${plan.stack}?`, {
      signal: signals.signal,
      onInterrupt: (s) => signals.receive(s),
    }),
  );
  if (held.lock.lost.aborted) throw lostError(held);
  const number = newest && (newest.latest?.number ?? 0) + 1;
  const result = await applyAndRecord(desired, opts, held, { command, planned, owner, hashKey, number });
  return endOf(result, opts, held);
}

/** The stack's newest revision as the store says it (`latest` absent: none yet); undefined when it cannot say. */
async function newestRevision(stack: string, held: Held): Promise<{ latest?: RevisionSummary } | undefined> {
  try {
    return { latest: await held.store.latest(stack) };
  } catch {
    return undefined; // only hints are lost: the run asks each host its version, and the store the number when it records
  }
}

/**
 * What the newest revision tells observe: the API version it spoke to each host at (the lists go beside the ping),
 * and whether the stack starts cold (no revision, or a destroy: each host's /info goes beside its lists).
 */
export function observeHints(
  newest: { latest?: RevisionSummary } | undefined,
): Pick<PipelineOptions, 'apiHints' | 'coldStart'> {
  if (!newest) return {};
  return { apiHints: newest.latest?.apiVersions, coldStart: !newest.latest || newest.latest.kind === 'destroy' };
}

/**
 * From here on SIGINT/SIGTERM interrupt the apply: the first starts nothing new and lets operations in flight
 * finish within the grace time; a second (or the end of the grace time) stops at once. A lost lock stops new
 * operations the same way. The revision and the catalog are written unless the lock was lost, at the same time
 * (the catalog's entries name the revision's number, read before either starts); the lock itself is released by
 * withStackLock's finally, once both are done.
 */
async function applyAndRecord(
  desired: DesiredState,
  opts: DeployOptions,
  held: Held,
  run: { command: string; planned: Planned; owner: StackOwner; hashKey: HashKey; number?: number },
): Promise<ApplyResult | undefined> {
  const { signals, io } = opts;
  const { interruption } = signals;
  const destroy = opts.destroy === true;
  signals.startApplying((signal, hard) =>
    io.reporter.event({ type: 'interrupt', reason: signal, hard, graceMs: interruption.graceMs }),
  );
  // git asked while the operations run (once the first writes are out); read when the revision is recorded.
  const asked = opts.commit ? () => Promise.resolve(opts.commit) : gitCommitLater(desired.workingDir, opts.env);
  let result: ApplyResult | undefined;
  try {
    result = await applyPlanned(desired, run.planned, io.reporter, {
      signal: AbortSignal.any([interruption.signal, held.lock.lost]),
      hardSignal: interruption.hardSignal,
    });
  } finally {
    if (!held.lock.lost.aborted) {
      const commit = await asked();
      const input = {
        desired,
        plan: run.planned.plan,
        command: run.command,
        result: outcomeOf(result, interruption.requested),
        kind: destroy ? ('destroy' as const) : ('apply' as const),
        rollouts: result?.rollouts,
        env: opts.env,
        hashKey: run.hashKey,
        commit,
        apiVersions: apiVersionsOf(run.planned.observed),
      };
      await recordAndSync(
        desired,
        held,
        io,
        { ...input, number: run.number },
        {
          destroyed: destroy,
          clients: run.planned.clients,
          owner: run.owner,
        },
      );
    }
  }
  return result;
}

/**
 * The revision and the catalog sync at the same time, the catalog's entries naming the revision's number: the one
 * after the newest read before the apply, else read now (under the lock nobody else records one). When the store
 * cannot say the number, in turn as before: the revision, then the catalog naming the newest stored one.
 */
async function recordAndSync(
  desired: DesiredState,
  held: Held,
  io: DeployIO,
  input: RecordInput,
  catalog: Omit<Parameters<typeof catalogAfter>[2], 'revision'>,
): Promise<void> {
  const number = input.number ?? (await nextRevision(desired.name, held));
  if (number === undefined) {
    await recordRevision(input, held, io);
    return catalogAfter(desired, held, catalog, io);
  }
  // The catalog first: its hosts' lists are on their way while the revision is encoded (CPU, synchronous).
  await Promise.all([
    catalogAfter(desired, held, { ...catalog, revision: number }, io),
    recordRevision({ ...input, number }, held, io),
  ]);
}

/** How the run ends: a lost lock, an interrupt (exit 130) or failed operations (exit 1) throw; else the result. */
function endOf(result: ApplyResult | undefined, opts: DeployOptions, held: Held): ApplyResult {
  const { interruption } = opts.signals;
  if (held.lock.lost.aborted) throw lostError(held);
  if (!result || result.outcome === 'interrupted' || interruption.requested)
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
