/**
 * `stack unlock`: shows the stack's lock (holder and index); with --force removes it — with check-and-set on the
 * index it showed, or on `--index` (as `terraform force-unlock LOCK_ID`), so a lock taken by another run in between
 * is never removed.
 */
import type { Command } from 'commander';
import { ExitError } from '../../errors.js';
import { describeHolder, type LockState, type StateStore } from '../../state/types.js';
import { printLockState, printUnlocked } from '../views/lock.js';
import { addStackOptions } from '../stack-options.js';
import { loadDesired, type CommonOptions } from '../load.js';
import { addStoreOption, storeFrom, type StoreOptions } from '../store-options.js';
import { withStore } from '../../deploy/locked.js';

interface UnlockOptions extends CommonOptions, StoreOptions {
  force?: boolean;
  index?: string;
}

export function registerUnlock(program: Command): void {
  const cmd = program
    .command('unlock')
    .description("Show the stack's apply lock (holder and index); with --force remove it, e.g. after a holder died")
    .option('--force', 'remove the lock (only the one shown: check-and-set on its index)')
    .option(
      '--index <index>',
      'with --force: remove the lock only if it is still the one at this index (as shown by stack unlock)',
    );
  addStoreOption(addStackOptions(cmd)).action(async (opts: UnlockOptions) => {
    if (opts.index !== undefined && !opts.force)
      throw new ExitError(1, [
        { severity: 'error', summary: '--index needs --force', hint: `stack unlock --force --index ${opts.index}` },
      ]);
    const desired = await loadDesired(opts, { checkPolicy: false });
    await withStore(desired, storeFrom(opts), 'the apply lock', async ({ store }) => {
      const now = await store.lockState(desired.name);
      if (!opts.force) throw notForced(desired.name, now);
      if (!now) return printUnlocked(desired.name, undefined, store.where);
      printLockState(desired.name, now, store.where);
      await removeAt(store, desired.name, opts.index ?? now.index);
    });
  });
}

function notForced(stack: string, now: LockState | undefined): ExitError {
  return new ExitError(1, [
    {
      severity: 'error',
      summary: now?.holder
        ? `stack ${stack} is locked by ${describeHolder(now.holder)} (index ${now.index})`
        : now
          ? `stack ${stack} has a released lock entry (index ${now.index})`
          : `stack ${stack} is not locked`,
      hint: now ? `make sure that run is gone, then run stack unlock --force --index ${now.index}` : undefined,
    },
  ]);
}

async function removeAt(store: StateStore, stack: string, index: string): Promise<void> {
  const result = await store.forceUnlock(stack, index);
  switch (result.outcome) {
    case 'removed':
      return printUnlocked(
        stack,
        result.holder ?? { stack, user: 'unknown', machine: 'unknown', command: 'unknown', since: 'unknown', pid: 0 },
        store.where,
      );
    case 'gone':
      return printUnlocked(stack, undefined, store.where);
    case 'changed': {
      const now = result.now;
      const who = now?.holder ? `held by ${describeHolder(now.holder)}` : now ? 'a released entry' : 'gone';
      throw new ExitError(1, [
        {
          severity: 'error',
          summary: `the lock of stack ${stack} is not the one at index ${index} any more: it is now ${who}${now ? ` at index ${now.index}` : ''}; nothing removed`,
          hint: now ? `if that run is gone too: stack unlock --force --index ${now.index}` : undefined,
        },
      ]);
    }
    default: {
      const never: never = result;
      throw new Error(`unknown unlock outcome ${JSON.stringify(never)}`);
    }
  }
}
