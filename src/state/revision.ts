/**
 * Revisions from and back to desired states. Pure: a revision keeps the normalised desired stack with configs'
 * bytes, and secrets and sensitive environment values only as keyed HMACs (the stack's hash key: never a value nor
 * its plain hash, issue 14); turning it back into a desired state takes those from the current load and refuses
 * when their HMACs differ from the revision's.
 */
import { createHash } from 'node:crypto';
import type { DesiredState, FileObjectSpec, LifecycleHook, ServiceSpec } from '../stack/types.js';
import { contentHmac, environmentHmac } from '../plan/config.js';
import type { HashKey } from '../sensitive.js';
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

/** A secret's or config's spec without its bytes or plain hash; a secret with the keyed HMAC of its content. */
function specOf(o: FileObjectSpec, key?: HashKey): Record<string, unknown> {
  const { content: _content, contentHash: _hash, ...spec } = o;
  const hmac = key && contentHmac(key, o);
  return JSON.parse(JSON.stringify(hmac ? { ...spec, contentHmac: hmac } : spec)) as Record<string, unknown>;
}

/** A service as a revision keeps it: its sensitive environment values as keyed HMACs. */
function storedService(s: ServiceSpec, key: HashKey): ServiceSpec {
  const stored = { ...s, environment: hmacValues(s.environment, s.sensitive ?? [], key) };
  const hook = (h: LifecycleHook) => ({ ...h, environment: hmacValues(h.environment, h.sensitive, key) });
  if (s.postStart) stored.postStart = s.postStart.map(hook);
  if (s.preStop) stored.preStop = s.preStop.map(hook);
  return stored;
}

function hmacValues(values: Record<string, string>, names: readonly string[], key: HashKey): Record<string, string> {
  if (!names.length) return values;
  const sensitive = new Set(names);
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, sensitive.has(k) ? environmentHmac(key, k, v) : v]),
  );
}

/**
 * A revision's service takes its lifecycle hooks from the current load: they are not part of a container's
 * config (changing one recreates nothing), and a revision keeps their sensitive values only as HMACs.
 */
function currentHooks(stored: ServiceSpec, current: DesiredState): ServiceSpec {
  const { postStart: _p, preStop: _s, ...rest } = stored;
  const now = current.services[stored.name];
  return {
    ...rest,
    ...(now?.postStart ? { postStart: now.postStart } : {}),
    ...(now?.preStop ? { preStop: now.preStop } : {}),
  };
}

export function storeDesired(d: DesiredState, key: HashKey): StoredDesired {
  const plain = <T>(v: T) => JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
  const services = Object.fromEntries(Object.entries(d.services).map(([k, s]) => [k, storedService(s, key)]));
  return {
    name: d.name,
    workingDir: d.workingDir,
    services: plain(services),
    networks: plain(d.networks),
    volumes: plain(d.volumes),
    configs: Object.fromEntries(
      Object.entries(d.configs).map(([k, c]) => [
        k,
        { spec: specOf(c), ...(c.content ? { content: c.content.toString('base64') } : {}) },
      ]),
    ),
    secrets: Object.fromEntries(Object.entries(d.secrets).map(([k, s]) => [k, specOf(s, key)])),
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
  /** The stack's hash key: sensitive values are kept only as HMACs under it. */
  hashKey: HashKey;
  /** The Engine API version each host was spoken to at (RevisionSummary.apiVersions). */
  apiVersions?: Record<string, string>;
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
  const desired = storeDesired(input.desired, input.hashKey);
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
  const hosts = Object.keys(input.apiVersions ?? {}).sort();
  if (hosts.length) record.apiVersions = Object.fromEntries(hosts.map((h) => [h, input.apiVersions![h]]));
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
  /** Sensitive variables whose current value differs from the revision's (by HMAC) or that are no longer set. */
  changedVariables: { service: string; name: string; why: string }[];
}

/** A revision's secret: the one read now, when its content has the revision's HMAC (or, before issue 14, hash). */
function restoreSecret(
  stored: Record<string, unknown>,
  now: FileObjectSpec | undefined,
  key: HashKey,
  revision: number,
): FileObjectSpec | { why: string } {
  const { contentHmac: hmac, contentHash: legacyHash, ...rest } = stored;
  const spec = rest as unknown as FileObjectSpec;
  if (!now?.content) return { why: `cannot be read from ${spec.source} any more` };
  const same = typeof hmac === 'string' ? contentHmac(key, now) === hmac : now.contentHash === legacyHash;
  if (!same) return { why: `its content (${spec.source}) changed since revision ${revision}` };
  return { ...spec, content: now.content, contentHash: now.contentHash };
}

/** A revision's service: its sensitive variables (kept as HMACs) taken from the current load where they match. */
function restoreService(
  stored: ServiceSpec,
  current: DesiredState,
  key: HashKey,
  changed: RestoreResult['changedVariables'],
  revision: number,
): ServiceSpec {
  stored = currentHooks(stored, current);
  if (!stored.sensitive?.length) return stored;
  const environment = { ...stored.environment };
  for (const name of stored.sensitive) {
    if (environment[name] === undefined) continue;
    const now = current.services[stored.name]?.environment[name];
    if (now !== undefined && environmentHmac(key, name, now) === environment[name]) environment[name] = now;
    else
      changed.push({
        service: stored.name,
        name,
        why: now === undefined ? 'is not set in the current stack file' : `changed since revision ${revision}`,
      });
  }
  return { ...stored, environment };
}

/**
 * The revision as a desired state, on the current hosts and settings. Secrets and sensitive variables come from the
 * current load (`readSecret`, `current`): each must have the revision's HMAC, else the result names what changed.
 */
export function restoreDesired(
  current: DesiredState,
  record: RevisionRecord,
  readSecret: (key: string, spec: FileObjectSpec) => FileObjectSpec | undefined,
  key: HashKey,
): RestoreResult {
  const stored = record.desired;
  const changedSecrets: RestoreResult['changedSecrets'] = [];
  const changedVariables: RestoreResult['changedVariables'] = [];
  const secrets: Record<string, FileObjectSpec> = {};
  for (const [name, raw] of Object.entries(stored.secrets)) {
    const spec = raw as unknown as FileObjectSpec;
    if (spec.external) {
      secrets[name] = spec;
      continue;
    }
    const restored = restoreSecret(raw, readSecret(name, spec), key, record.number);
    if ('why' in restored) changedSecrets.push({ key: name, why: restored.why });
    else secrets[name] = restored;
  }
  const services = Object.fromEntries(
    Object.entries(stored.services as unknown as DesiredState['services']).map(([k, svc]) => [
      k,
      restoreService(svc, current, key, changedVariables, record.number),
    ]),
  );
  if (changedSecrets.length || changedVariables.length) return { changedSecrets, changedVariables };
  const configs: Record<string, FileObjectSpec> = {};
  for (const [name, c] of Object.entries(stored.configs)) {
    const { contentHash: _hash, ...spec } = c.spec as unknown as FileObjectSpec;
    const content = c.content !== undefined ? Buffer.from(c.content, 'base64') : undefined;
    configs[name] = content
      ? { ...spec, content, contentHash: createHash('sha256').update(content).digest('hex') }
      : spec;
  }
  const desired: DesiredState = {
    ...current,
    name: stored.name,
    services,
    networks: stored.networks as unknown as DesiredState['networks'],
    volumes: stored.volumes as unknown as DesiredState['volumes'],
    configs,
    secrets,
  };
  return { desired, changedSecrets, changedVariables };
}
