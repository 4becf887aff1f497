/**
 * A stack's identity as its state store keeps it: a random id made at the stack's first apply (check-and-set,
 * so two first applies agree on one), written on every object the stack creates (src/labels.ts). A second
 * state store for the same stack name gets a second identity, and the planner refuses to mix them.
 */
import { randomUUID } from 'node:crypto';
import type { StackOwner } from '../labels.js';

/** What is stored: the id and when it was made. */
export interface StoredIdentity {
  id: string;
  created: string;
}

export function newIdentity(now = new Date()): StoredIdentity {
  return { id: randomUUID(), created: now.toISOString() };
}

/** Parses a stored identity; undefined when it is not one (then the store refuses rather than guessing). */
export function parseIdentity(text: string | null | undefined): StoredIdentity | undefined {
  try {
    const v = JSON.parse(text ?? '') as Partial<StoredIdentity>;
    return v && typeof v.id === 'string' && /^[0-9a-f-]{8,64}$/.test(v.id) && typeof v.created === 'string'
      ? { id: v.id, created: v.created }
      : undefined;
  } catch {
    return undefined;
  }
}

export function ownerFrom(stored: StoredIdentity, where: string): StackOwner {
  return { id: stored.id, state: where };
}

/** The identity a plan shows before the first apply made one: nothing on the hosts carries it. */
export function provisionalOwner(where: string): StackOwner {
  return { id: newIdentity().id, state: where, new: true };
}
