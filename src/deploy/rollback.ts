/**
 * Rollback: plans and applies a stored revision through the normal path (lock, plan shown, confirm, apply,
 * new revision). Secrets and sensitive variables are taken from the current load; if one differs from the
 * revision's keyed hash, rollback refuses and names it.
 */
import { ExitError, hasErrors } from '../errors.js';
import { restoredPolicyReport } from '../stack/policy/report.js';
import type { DesiredState } from '../stack/types.js';
import type { ApplyResult } from '../apply/index.js';
import { restoreDesired, rollbackTarget } from '../state/revision.js';
import { checkRestored } from '../stack/restored.js';
import { withStackLock, type Held } from './locked.js';
import { runLocked } from './run.js';
import { secretReader } from './rollback-secrets.js';
import type { DeployOptions } from './options.js';

/** Rolls `current`'s stack back to revision `to` (default: the last successful one before the current). */
export async function rollback(
  current: DesiredState,
  to: number | undefined,
  opts: DeployOptions,
): Promise<ApplyResult | undefined> {
  opts.signals.enter(`waiting for the lock of stack ${current.name}`);
  const command = `rollback${to !== undefined ? ` --to ${to}` : ''}`;
  return withStackLock(
    current,
    opts,
    command,
    opts.io,
    (held) => rollbackLocked(current, to, opts, held),
    opts.signals.signal,
  );
}

async function rollbackLocked(
  current: DesiredState,
  to: number | undefined,
  opts: DeployOptions,
  held: Held,
): Promise<ApplyResult | undefined> {
  opts.signals.enter('reading the revision');
  const target = rollbackTarget(await held.store.list(current.name), to);
  if (typeof target !== 'number')
    throw new ExitError(1, [
      {
        severity: 'error',
        summary: `cannot roll back stack ${current.name}: ${target.error}`,
        hint: 'see stack history',
      },
    ]);
  const restored = await restoredAt(current, target, opts, held);
  return runLocked(restored, opts, held, `rollback --to ${target}`);
}

/** The desired state of revision `target`, its secrets read again and the whole checked like a loaded stack file. */
async function restoredAt(
  current: DesiredState,
  target: number,
  opts: DeployOptions,
  held: Held,
): Promise<DesiredState> {
  const record = await held.store.get(current.name, target);
  if (!record)
    throw new ExitError(1, [
      { severity: 'error', summary: `revision ${target} of stack ${current.name} is gone from ${held.store.where}` },
    ]);
  const hashKey = await held.store.claimHashKey(current.name);
  const reader = secretReader(current, record.desired.workingDir, opts.env);
  const restored = restoreDesired(current, record, reader, hashKey);
  if (!restored.desired)
    throw new ExitError(1, [
      ...restored.changedSecrets.map((s) => ({
        severity: 'error' as const,
        summary: `secret ${s.key} ${s.why}: rollback to revision ${target} refused`,
        hint: "restore the secret's old content, or apply the stack file instead",
      })),
      ...restored.changedVariables.map((v) => ({
        severity: 'error' as const,
        summary: `service ${v.service}: sensitive variable ${v.name} ${v.why}: rollback to revision ${target} refused`,
        detail: 'revisions keep sensitive values only as keyed hashes; rollback takes them from the current stack file',
        hint: `set ${v.name} to its value of revision ${target} in the stack file (or its variables), or apply the stack file instead`,
      })),
    ]);
  // Read back from the state store: checked like a loaded stack file before anything is planned from it.
  const where = `revision ${target} of stack ${current.name} in ${held.store.where}`;
  const problems = checkRestored(restored.desired, current.name, where);
  if (problems.length)
    throw new ExitError(1, problems, `rollback to revision ${target} refused: the revision is not a valid stack`);
  return withTodaysPolicy(restored.desired, where, target, opts);
}

/** The revision checked against today's policy: refused (before anything is planned) where it is enforced. */
function withTodaysPolicy(desired: DesiredState, where: string, target: number, opts: DeployOptions): DesiredState {
  const policy = restoredPolicyReport(desired, where);
  if (hasErrors(policy.diagnostics))
    throw new ExitError(1, policy.diagnostics, `rollback to revision ${target} refused by the policy`);
  if (policy.diagnostics.length) opts.io.warn(policy.diagnostics);
  return { ...desired, policy };
}
