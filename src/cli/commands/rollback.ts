/**
 * `stack rollback [--to N]`: plans and applies a stored revision through the normal path (lock, plan shown,
 * confirm, apply, new revision). Secrets are read again from their sources; if one differs from the
 * revision's hash, rollback refuses and names it.
 */
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { ExitError } from '../../errors.js';
import { CONTENT_FILE_LIMIT, ProjectFolder } from '../../stack/index.js';
import type { DesiredState, FileObjectSpec } from '../../stack/types.js';
import { restoreDesired, rollbackTarget } from '../../state/revision.js';
import { checkRestored } from '../../stack/restored.js';
import { addStackOptions, loadDesired } from './plan.js';
import { applyLocked, type ApplyCommandOptions } from './apply.js';
import { addWriteOptions, withStackLock, type Held } from './locking.js';
import { addFaultOptions, graceMsFrom } from '../fault-options.js';
import { withCommandSignals } from '../command-signals.js';

/**
 * A secret of the revision read now: from the current load when its source is the same, else from the revision's
 * source — a file only from inside the current project folder (as the stack file's own), whatever folder the
 * revision names.
 */
export function secretReader(current: DesiredState, workingDir: string, env: Record<string, string | undefined>) {
  const folder = new ProjectFolder(current.workingDir);
  return (key: string, spec: FileObjectSpec): FileObjectSpec | undefined => {
    const now = current.secrets[key];
    if (now && now.source === spec.source) return now;
    let content: Buffer | undefined;
    try {
      if (spec.source.startsWith('file:')) {
        const read = folder.read(path.resolve(workingDir, spec.source.slice(5)), CONTENT_FILE_LIMIT);
        content = read.ok ? read.bytes : undefined;
      } else if (spec.source.startsWith('environment:') && env[spec.source.slice(12)] !== undefined)
        content = Buffer.from(env[spec.source.slice(12)]!, 'utf8');
    } catch {
      content = undefined;
    }
    return content ? { ...spec, content, contentHash: createHash('sha256').update(content).digest('hex') } : undefined;
  };
}

export function registerRollback(program: Command): void {
  const cmd = program
    .command('rollback')
    .description(
      'Apply an earlier revision again (default: the last successful one before the current); shows the plan first and records a new revision',
    )
    .option('--to <number>', 'the revision to roll back to (see stack history)')
    .option('-y, --yes', 'do not ask for confirmation (required without a TTY)')
    .option('--json', 'print the plan, then NDJSON events ending with a summary');
  addFaultOptions(cmd, { grace: true });
  addWriteOptions(addStackOptions(cmd)).action(async (opts: ApplyCommandOptions & { to?: string }) => {
    const to = opts.to === undefined ? undefined : Number(opts.to);
    if (to !== undefined && (!Number.isInteger(to) || to < 1))
      throw new ExitError(1, [
        { severity: 'error', summary: `--to ${opts.to}: not a revision number`, hint: 'see stack history' },
      ]);
    await withCommandSignals(graceMsFrom(opts), async (signals) => {
      const current = await loadDesired(opts);
      signals.enter(`waiting for the lock of stack ${current.name}`);
      const rollback = async (held: Held) => {
        signals.enter('reading the revision');
        const target = rollbackTarget(await held.store.list(current.name), to);
        if (typeof target !== 'number')
          throw new ExitError(1, [
            {
              severity: 'error',
              summary: `cannot roll back stack ${current.name}: ${target.error}`,
              hint: 'see stack history',
            },
          ]);
        const record = await held.store.get(current.name, target);
        if (!record)
          throw new ExitError(1, [
            {
              severity: 'error',
              summary: `revision ${target} of stack ${current.name} is gone from ${held.store.where}`,
            },
          ]);
        const restored = restoreDesired(current, record, secretReader(current, record.desired.workingDir, process.env));
        if (!restored.desired)
          throw new ExitError(
            1,
            restored.changedSecrets.map((s) => ({
              severity: 'error' as const,
              summary: `secret ${s.key} ${s.why}: rollback to revision ${target} refused`,
              hint: "restore the secret's old content, or apply the stack file instead",
            })),
          );
        // Read back from the state store: checked like a loaded stack file before anything is planned from it.
        const problems = checkRestored(
          restored.desired,
          current.name,
          `revision ${target} of stack ${current.name} in ${held.store.where}`,
        );
        if (problems.length)
          throw new ExitError(1, problems, `rollback to revision ${target} refused: the revision is not a valid stack`);
        return applyLocked(restored.desired, opts, held, `rollback --to ${target}`, signals);
      };
      await withStackLock(current, opts, `rollback${to !== undefined ? ` --to ${to}` : ''}`, rollback, signals.signal);
    });
  });
}
