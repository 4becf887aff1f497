/**
 * A stack's hash key as its state store keeps it (issue 14): 32 random bytes, made at the stack's first apply under
 * the lock with a create-only write (Consul cas=0, a local file opened with `wx`, mode 0600), so two first applies
 * agree on one. Labels and revisions carry sensitive values only as HMACs under it (src/sensitive.ts). Whoever can
 * read it can test guesses of a value against a label; it is as sensitive as a Consul token.
 */
import { HashKey } from '../sensitive.js';

/** What is stored: the key (base64) and when it was made. */
export function newStoredHashKey(now = new Date()): string {
  return JSON.stringify({ key: HashKey.random().encode(), created: now.toISOString() });
}

/** The key from what the store holds; undefined when it is not one (the store then refuses rather than guessing). */
export function parseStoredHashKey(text: string | null | undefined): HashKey | undefined {
  try {
    const v = JSON.parse(text ?? '') as { key?: unknown };
    return v && typeof v.key === 'string' ? HashKey.decode(v.key) : undefined;
  } catch {
    return undefined;
  }
}

export function badHashKey(): string {
  return `it does not hold a stack hash key; restore it from a backup, or delete it (the next apply makes a new one and replaces the stack's containers once)`;
}
