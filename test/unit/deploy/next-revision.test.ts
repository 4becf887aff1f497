/** The number a run gives its revision, read before the revision and the catalog sync start side by side. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { nextRevision } from '../../../src/deploy/record.js';
import type { Held } from '../../../src/deploy/locked.js';
import { LocalStateStore } from '../../../src/state/local-store.js';
import type { StateStore } from '../../../src/state/types.js';
import { revisionRecord } from '../../helpers/revision-record.js';

const held = (store: Pick<StateStore, 'list'>) => ({ store }) as unknown as Held;

const record = (number: number) => revisionRecord(number);

test('the next revision: 1 for a new stack, else the newest kept + 1 (older ones pruned or not)', async (t) => {
  const store = new LocalStateStore(mkdtempSync(path.join(os.tmpdir(), 'stack-state-')));
  t.is(await nextRevision('s', held(store)), 1);
  for (const n of [1, 2, 3]) await store.record('s', record(n), 2);
  t.deepEqual(
    (await store.list('s')).map((r) => r.number),
    [2, 3],
  );
  t.is(await nextRevision('s', held(store)), 4);
});

test('a store that cannot list: no number (the run then records and syncs in turn, as before)', async (t) => {
  const broken = { list: () => Promise.reject(new Error('Consul unreachable')) };
  t.is(await nextRevision('s', held(broken)), undefined);
});
