/**
 * The state store's Consul KV transactions (`PUT /v1/txn`), built here and sent by consul-store.ts: each is applied
 * whole or rolled back whole (HTTP 409, nothing written), in one round trip and one Raft entry. Pure.
 */
import { inGroups, TXN_MAX_OPS } from '../consul/txn.js';
import { pad, revisionsPrefix } from './keys.js';

/** One KV operation of a transaction; values are base64, as Consul takes them. */
export interface KvTxnOp {
  KV: {
    Verb: 'set' | 'cas' | 'check-session' | 'delete' | 'delete-tree';
    Key: string;
    Value?: string;
    Index?: number;
    Session?: string;
  };
}

/**
 * A revision's chunks and its manifest in one transaction small enough to send whole: Consul takes a transaction
 * request of up to 512 KB (txn_max_req_len), and its values travel base64 (4/3 of their size).
 */
export const TXN_RECORD_BYTES = 256 * 1024;

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/**
 * A revision written at once: its chunks under the writer's own folder, then its manifest only if none exists yet
 * (cas, index 0). When another manifest is there the whole transaction is rolled back: no chunk of it stays.
 */
export function recordTxn(base: string, chunkDir: string, chunks: string[], manifest: string): KvTxnOp[] {
  return [
    ...chunks.map((chunk, i): KvTxnOp => ({
      KV: { Verb: 'set', Key: `${base}${chunkDir}/${i}`, Value: base64(chunk) },
    })),
    { KV: { Verb: 'cas', Key: `${base}manifest`, Value: base64(manifest), Index: 0 } },
  ];
}

/**
 * The transactions that remove old revisions: each revision's manifest and its folder in the same transaction (a
 * reader never sees a manifest without its chunks), up to 32 revisions a transaction.
 */
export function pruneTxns(stack: string, numbers: number[], maxOps = TXN_MAX_OPS): KvTxnOp[][] {
  return inGroups(numbers, Math.floor(maxOps / 2)).map((group) =>
    group.flatMap((n): KvTxnOp[] => [
      { KV: { Verb: 'delete', Key: `${revisionsPrefix(stack)}${pad(n)}/manifest` } },
      { KV: { Verb: 'delete-tree', Key: `${revisionsPrefix(stack)}${pad(n)}/` } },
    ]),
  );
}

/** The lock key deleted only while `session` holds it; rolled back (nothing deleted) when it does not. */
export function releaseTxn(key: string, session: string): KvTxnOp[] {
  return [{ KV: { Verb: 'check-session', Key: key, Session: session } }, { KV: { Verb: 'delete', Key: key } }];
}

/** Which of `numbers` (ascending, the newest last) are pruned so that `keep` (at least 1) remain. */
export function prunedOf(numbers: number[], keep: number): number[] {
  return numbers.slice(0, Math.max(0, numbers.length - Math.max(1, keep)));
}
