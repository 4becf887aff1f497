/**
 * Revisions from and back to desired states. Pure: a revision keeps the normalised desired stack with
 * configs' bytes and secrets' hashes only; turning it back into a desired state takes the secrets read again
 * now and refuses when their hashes differ from the revision's.
 */
import { createHash } from 'node:crypto';
import type { DesiredState, FileObjectSpec } from '../stack/types.js';
import type {
  PlanSummaryCounts,
  RevisionKind,
  RevisionRecord,
  RevisionResult,
  RevisionRollout,
  RevisionRolloutOutcome,
  StoredDesired,
} from './types.js';

/** JSON with sorted keys, so equal stacks give equal text and hash. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v))
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    return v;
  });
}

function specOf(o: FileObjectSpec): Record<string, unknown> {
  const { content: _content, ...spec } = o;
  return JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
}

export function storeDesired(d: DesiredState): StoredDesired {
  const plain = <T>(v: T) => JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
  return {
    name: d.name,
    workingDir: d.workingDir,
    services: plain(d.services),
    networks: plain(d.networks),
    volumes: plain(d.volumes),
    configs: Object.fromEntries(
      Object.entries(d.configs).map(([k, c]) => [
        k,
        { spec: specOf(c), ...(c.content ? { content: c.content.toString('base64') } : {}) },
      ]),
    ),
    secrets: Object.fromEntries(Object.entries(d.secrets).map(([k, s]) => [k, specOf(s)])),
  };
}

export function hashStored(stored: StoredDesired): string {
  return createHash('sha256').update(canonicalJson(stored)).digest('hex');
}

/** As much of a plan as a revision counts: its operations and the action of each change. */
export interface PlanShape {
  operations: readonly unknown[];
  changes: readonly { action: string }[];
}

export function planCounts(plan: PlanShape): PlanSummaryCounts {
  const counts: PlanSummaryCounts = { create: 0, replace: 0, update: 0, remove: 0, operations: plan.operations.length };
  for (const c of plan.changes) {
    if (c.action === 'create') counts.create++;
    else if (c.action === 'replace') counts.replace++;
    else if (c.action === 'update') counts.update++;
    else counts.remove++;
  }
  return counts;
}

export interface RevisionInput {
  number: number;
  desired: DesiredState;
  plan: PlanShape;
  result: RevisionResult;
  /** Default `apply`. */
  kind?: RevisionKind;
  command: string;
  who: string;
  when: Date;
  commit?: string;
  /** The apply's rollout outcomes by service (ApplyResult.rollouts). */
  rollouts?: Record<string, RolloutInput>;
}

/** What the apply reports of one rollout (src/apply/rollout.ts RolloutOutcome), as much as a revision keeps. */
export interface RolloutInput {
  service: string;
  outcome: RevisionRolloutOutcome;
  updated: string[];
  failures: { container: string; host: string; op: string; error: string }[];
  rolledBack: string[];
  rollbackErrors: { op: string; error: string }[];
}

/** A rollout that did not update every replica: the apply that ran it failed, whatever else it did. */
export function rolloutFailed(r: Pick<RevisionRollout, 'outcome'>): boolean {
  return r.outcome !== 'completed';
}

export function revisionRollouts(rollouts: Record<string, RolloutInput>): RevisionRollout[] {
  return Object.values(rollouts)
    .sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0))
    .map((r) => ({
      service: r.service,
      outcome: r.outcome,
      failures: r.failures.map((f) => ({ replica: f.container, host: f.host, op: f.op, reason: f.error })),
      updated: [...r.updated],
      rolledBack: [...r.rolledBack],
      ...(r.rollbackErrors.length ? { rollbackErrors: r.rollbackErrors.map((e) => ({ ...e })) } : {}),
    }));
}

export function buildRevision(input: RevisionInput): RevisionRecord {
  const desired = storeDesired(input.desired);
  const rollouts = revisionRollouts(input.rollouts ?? {});
  const record: RevisionRecord = {
    number: input.number,
    hash: hashStored(desired),
    // A failed rollout fails the apply (it does already: its failed operation is counted); never recorded as ok.
    result: input.result === 'ok' && rollouts.some(rolloutFailed) ? 'failed' : input.result,
    kind: input.kind ?? 'apply',
    command: input.command,
    who: input.who,
    when: input.when.toISOString(),
    plan: planCounts(input.plan),
    desired,
  };
  if (input.commit) record.commit = input.commit;
  if (rollouts.length) record.rollouts = rollouts;
  return record;
}

/**
 * The revision to roll back to: `to`, or the last successful apply before the newest. A destroy revision is
 * never a target (its stack is the one that was removed; applying it again is `stack apply`), so a rollback
 * after a destroy brings back the last successful apply before it.
 */
export function rollbackTarget(
  revisions: { number: number; result: RevisionResult; kind?: RevisionKind }[],
  to?: number,
): number | { error: string } {
  if (to !== undefined) {
    const r = revisions.find((x) => x.number === to);
    if (!r)
      return {
        error: `revision ${to} is not in the history (kept: ${revisions.map((x) => x.number).join(', ') || 'none'})`,
      };
    return r.kind === 'destroy'
      ? { error: `revision ${to} is a destroy: there is nothing to apply again (run stack destroy for that)` }
      : to;
  }
  const current = revisions.at(-1);
  if (!current) return { error: 'the stack has no revisions yet' };
  const before = revisions.filter((r) => r.number < current.number && r.result === 'ok' && r.kind !== 'destroy').at(-1);
  return before ? before.number : { error: `no successful apply before revision ${current.number}` };
}

export interface RestoreResult {
  desired?: DesiredState;
  /** Secrets whose content now differs from the revision's (or that can no longer be read). */
  changedSecrets: { key: string; why: string }[];
}

/**
 * The revision as a desired state, on the current hosts and settings. `secrets` are the stack's secrets as
 * read now (from the current load); a secret of the revision must be there with the same hash.
 */
export function restoreDesired(
  current: DesiredState,
  record: RevisionRecord,
  readSecret: (key: string, spec: FileObjectSpec) => FileObjectSpec | undefined,
): RestoreResult {
  const stored = record.desired;
  const changedSecrets: { key: string; why: string }[] = [];
  const secrets: Record<string, FileObjectSpec> = {};
  for (const [key, raw] of Object.entries(stored.secrets)) {
    const spec = raw as unknown as FileObjectSpec;
    if (spec.external) {
      secrets[key] = spec;
      continue;
    }
    const now = readSecret(key, spec);
    if (!now?.content) changedSecrets.push({ key, why: `cannot be read from ${spec.source} any more` });
    else if (now.contentHash !== spec.contentHash)
      changedSecrets.push({ key, why: `its content (${spec.source}) changed since revision ${record.number}` });
    else secrets[key] = { ...spec, content: now.content };
  }
  if (changedSecrets.length) return { changedSecrets };
  const configs: Record<string, FileObjectSpec> = {};
  for (const [key, c] of Object.entries(stored.configs)) {
    const spec = c.spec as unknown as FileObjectSpec;
    configs[key] = c.content !== undefined ? { ...spec, content: Buffer.from(c.content, 'base64') } : spec;
  }
  const desired: DesiredState = {
    ...current,
    name: stored.name,
    services: stored.services as unknown as DesiredState['services'],
    networks: stored.networks as unknown as DesiredState['networks'],
    volumes: stored.volumes as unknown as DesiredState['volumes'],
    configs,
    secrets,
  };
  return { desired, changedSecrets };
}
