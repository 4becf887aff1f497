/** `stack history`: the stack's revisions, oldest first. */
import type { Command } from 'commander';
import { printHistory } from '../views/history.js';
import { addStackOptions } from '../stack-options.js';
import { loadDesired, type CommonOptions } from '../load.js';
import { addStoreOption, storeFrom, type StoreOptions } from '../store-options.js';
import { withStore } from '../../deploy/locked.js';

export function registerHistory(program: Command): void {
  const cmd = program
    .command('history')
    .description(
      "List the stack's revisions (applies, rollbacks and destroys): number, kind, result, when, who, command, changes, git commit, and how each rolling update ended (which replica failed and why)",
    )
    .option('--json', 'print as JSON');
  addStoreOption(addStackOptions(cmd)).action(async (opts: CommonOptions & StoreOptions) => {
    const desired = await loadDesired(opts, { checkPolicy: false });
    await withStore(desired, storeFrom(opts), 'the revision history', async ({ store }) =>
      printHistory(desired.name, store.where, await store.list(desired.name), { json: opts.json }),
    );
  });
}
