/** The stack identity a run that writes acts as. */
import { ExitError } from '../errors.js';
import type { DesiredState } from '../stack/types.js';
import type { StackOwner } from '../labels.js';
import { provisionalOwner } from '../state/identity.js';
import { HashKey } from '../sensitive.js';
import { storeError, type Held } from './locked.js';

/**
 * The hash key a write uses (issue 14): an apply makes it at the stack's first apply (under the lock, create-only);
 * a destroy never makes one (a throwaway key: it creates nothing that carries a hash).
 */
export async function hashKeyForWrite(desired: DesiredState, held: Held, destroy: boolean): Promise<HashKey> {
  try {
    if (destroy) return (await held.store.hashKey(desired.name)) ?? HashKey.random();
    return await held.store.claimHashKey(desired.name);
  } catch (err) {
    throw readFailure(err, held, { what: 'the stack hash key', noun: 'hash key', stack: desired.name });
  }
}

/**
 * The identity a write acts as: an apply makes it at the stack's first apply (under the lock); a destroy never
 * makes one — without one nothing on the hosts is the stack's, so it removes nothing.
 */
export async function ownerForWrite(desired: DesiredState, held: Held, destroy: boolean): Promise<StackOwner> {
  try {
    if (destroy) return (await held.store.identity(desired.name)) ?? provisionalOwner(held.store.where);
    return await held.store.claimIdentity(desired.name);
  } catch (err) {
    throw readFailure(err, held, { what: 'the stack identity', noun: 'identity', stack: desired.name });
  }
}

/** What a failed read of a stack's identity or hash key throws: the store's own error, else one saying what. */
function readFailure(err: unknown, held: Held, read: { what: string; noun: string; stack: string }): unknown {
  const failure = storeError(err, held, read.what);
  if (failure !== err) return failure;
  return new ExitError(1, [
    {
      severity: 'error',
      summary: `cannot read the ${read.noun} of stack ${read.stack}: ${err instanceof Error ? err.message : String(err)}`,
      detail: 'nothing was changed on any host',
    },
  ]);
}

/**
 * The identity and the hash key a write uses, read (or made) at once: one round trip to the store instead of two;
 * when both fail, the identity's error is the one thrown, as when they were read in turn.
 */
export async function identityForWrite(
  desired: DesiredState,
  held: Held,
  destroy: boolean,
): Promise<[StackOwner, HashKey]> {
  const [owner, hashKey] = await Promise.allSettled([
    ownerForWrite(desired, held, destroy),
    hashKeyForWrite(desired, held, destroy),
  ]);
  if (owner.status === 'rejected') throw owner.reason;
  if (hashKey.status === 'rejected') throw hashKey.reason;
  return [owner.value, hashKey.value];
}
