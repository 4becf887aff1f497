/** `stack unlock --force`: removes the stack's lock whoever holds it, and says what it removed. */
import type { Command } from 'commander';
import { ExitError } from '../../errors.js';
import { describeHolder } from '../../state/types.js';
import { printUnlocked } from '../views/lock.js';
import { addStackOptions, loadDesired, type CommonOptions } from './plan.js';
import { addStoreOption, withStore, type StoreOptions } from './locking.js';

export function registerUnlock(program: Command): void {
  const cmd = program
    .command('unlock')
    .description('Remove the stack\'s apply lock, e.g. after a holder died; needs --force')
    .option('--force', 'remove the lock whoever holds it');
  addStoreOption(addStackOptions(cmd)).action(async (opts: CommonOptions & StoreOptions & { force?: boolean }) => {
    const desired = await loadDesired(opts);
    await withStore(desired, opts, 'the apply lock', async ({ store }) => {
      if (!opts.force) {
        const holder = await store.holder(desired.name);
        throw new ExitError(1, [
          {
            severity: 'error',
            summary: holder ? `stack ${desired.name} is locked by ${describeHolder(holder)}` : `stack ${desired.name} is not locked`,
            hint: holder ? 'make sure that run is gone, then run stack unlock --force' : undefined,
          },
        ]);
      }
      printUnlocked(desired.name, await store.forceUnlock(desired.name), store.where);
    });
  });
}
