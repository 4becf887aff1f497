/** Where a stack's state lives in Consul's KV store: its lock, identity, hash key and revisions. */
export const lockKey = (stack: string) => `stack/${stack}/lock`;
export const identityKey = (stack: string) => `stack/${stack}/identity`;
export const hashKeyKey = (stack: string) => `stack/${stack}/hash-key`;
export const revisionsPrefix = (stack: string) => `stack/${stack}/revisions/`;
export const pad = (n: number) => String(n).padStart(10, '0');
