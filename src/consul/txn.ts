/** Limits of Consul's transactions (`PUT /v1/txn`) that every caller keeps to. */

/** At most 64 operations in one transaction: what older Consul servers take (newer ones take 128). */
export const TXN_MAX_OPS = 64;

/** `items` in groups of at most `size`, in order. */
export function inGroups<T>(items: readonly T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}
