/**
 * What `stack plan -o FILE` needs from the state store before it observes: the stack's identity and hash key (made
 * now if this is the stack's first plan to be saved, create-only as an apply makes them — a saved plan's HMACs and
 * the objects it owns must be the ones its apply will use) and the latest revision it is made against.
 */
import type { DesiredState } from '../stack/types.js';
import type { StackOwner } from '../labels.js';
import type { HashKey } from '../sensitive.js';
import type { RevisionSummary } from '../state/types.js';
import type { StoreOptions } from './io.js';
import { withStore } from './locked.js';

export interface SaveContext {
  owner: StackOwner;
  hashKey: HashKey;
  latest: RevisionSummary | undefined;
  /** The store, as messages name it (`Consul at …`, `local state in …`). */
  where: string;
}

export async function contextForSave(desired: DesiredState, opts: StoreOptions): Promise<SaveContext> {
  return withStore(desired, opts, 'the stack identity', async ({ store }) => ({
    owner: await store.claimIdentity(desired.name),
    hashKey: await store.claimHashKey(desired.name),
    latest: await store.latest(desired.name),
    where: store.where,
  }));
}
