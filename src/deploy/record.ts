/** After an apply: the revision it leaves in the state store. */
import type { DesiredState } from '../stack/types.js';
import type { Plan } from '../plan/types.js';
import type { ApplyResult } from '../apply/index.js';
import { buildRevision } from '../state/revision.js';
import { userOf } from '../state/lock-info.js';
import type { RevisionKind, RevisionResult } from '../state/types.js';
import type { Held } from './locked.js';
import type { DeployIO } from './io.js';
import type { HashKey } from '../sensitive.js';
import type { ObservedState } from '../observe/index.js';
import { formatApiVersion } from '../docker/api-version.js';

export const DEFAULT_KEEP_REVISIONS = 20;

/** What one revision records of the run that made it. */
export interface RecordInput {
  desired: DesiredState;
  plan: Plan;
  command: string;
  result: RevisionResult;
  kind: RevisionKind;
  rollouts: ApplyResult['rollouts'] | undefined;
  env: Record<string, string | undefined>;
  /** The stack's hash key: the revision keeps sensitive values only as HMACs under it. */
  hashKey: HashKey;
  /** The commit the stack comes from (the caller's --commit, else what gitCommit found, asked once per run). */
  commit: string | undefined;
  /** The revision's number, when the caller read it already (nextRevision); else the newest stored + 1. */
  number?: number;
  /** The Engine API version each host was spoken to at, from the observed state (RevisionSummary.apiVersions). */
  apiVersions?: Record<string, string>;
}

/** The API version each host that answered was spoken to at (RevisionSummary.apiVersions). */
export function apiVersionsOf(observed: ObservedState): Record<string, string> {
  return Object.fromEntries(
    Object.values(observed.hosts).flatMap((h) => (h.version ? [[h.name, formatApiVersion(h.version.api)]] : [])),
  );
}

/** The revision's result: interrupted (a signal, or no result at all), else ok or failed. */
export function outcomeOf(result: ApplyResult | undefined, interrupted: boolean): RevisionResult {
  if (interrupted || !result || result.outcome === 'interrupted') return 'interrupted';
  return result.ok ? 'ok' : 'failed';
}

/** The number the next revision of the stack gets (under its lock nobody else records one); undefined if unreadable. */
export async function nextRevision(stack: string, held: Held): Promise<number | undefined> {
  try {
    return await numberAfterNewest(stack, held);
  } catch {
    return undefined;
  }
}

/** The newest stored revision's number + 1 (1 for a stack without one); the store's error when it cannot list. */
async function numberAfterNewest(stack: string, held: Held): Promise<number> {
  return ((await held.store.list(stack)).at(-1)?.number ?? 0) + 1;
}

/** Records a revision, with the outcome of each rollout; a failure to record is a warning, never a reason to fail an apply that happened. */
export async function recordRevision(input: RecordInput, held: Held, io: Pick<DeployIO, 'warn'>): Promise<void> {
  const { desired } = input;
  try {
    const record = buildRevision({
      number: input.number ?? (await numberAfterNewest(desired.name, held)),
      desired,
      plan: input.plan,
      result: input.result,
      kind: input.kind,
      command: input.command,
      who: `${userOf(input.env)}@${held.lock.info.machine}`,
      when: new Date(),
      commit: input.commit,
      rollouts: input.rollouts,
      hashKey: input.hashKey,
      apiVersions: input.apiVersions,
    });
    await held.store.record(desired.name, record, desired.settings.keepRevisions ?? DEFAULT_KEEP_REVISIONS);
  } catch (err) {
    io.warn([
      {
        severity: 'warning',
        summary: `could not record the revision in ${held.store.where}: ${err instanceof Error ? err.message : String(err)}`,
      },
    ]);
  }
}
