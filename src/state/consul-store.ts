/**
 * The state store in Consul: the apply lock is a session (TTL 10 s, renewed every 5 s, lock-delay 1 s,
 * behaviour release) and a KV acquire on `stack/<name>/lock`; revisions live under
 * `stack/<name>/revisions/<number>/` as chunks written first and a manifest written last with check-and-set.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ConsulClient } from '../consul/client.js';
import { ConsulRequestError, ConsulUnreachableError } from '../consul/client.js';
import { LockLease, type LeaseTimes } from '../consul/lock-lease.js';
import { decodeRevision, encodeRevision, summaryOf, VALUE_LIMIT } from './revision-codec.js';
import { parseJson, parseLockInfo, parseManifest, StoredDataError } from './stored.js';
import { newIdentity, ownerFrom, parseIdentity } from './identity.js';
import { badHashKey, newStoredHashKey, parseStoredHashKey } from './hash-key.js';
import { hashKeyKey, identityKey, lockKey, pad, revisionsPrefix } from './keys.js';
import { prunedOf, pruneTxns, recordTxn, releaseTxn, TXN_RECORD_BYTES, type KvTxnOp } from './kv-txn.js';
import type { HashKey } from '../sensitive.js';
import type { StackOwner } from '../labels.js';
import {
  abortableSleep,
  LockTimeoutError,
  LockWaitAbortedError,
  type AcquireOptions,
  type ForceUnlockResult,
  type HeldLock,
  type LockState,
  type LockInfo,
  type RevisionManifest,
  type RevisionRecord,
  type RevisionSummary,
  type StateStore,
} from './types.js';

export const SESSION_TTL_S = 10;
export const RENEW_EVERY_MS = 5000;
/**
 * Short on purpose: a killed holder's lock frees within 2×TTL + this. A live holder that lost touch stops its own
 * writes 2×TTL after its last renewal was sent (lock-lease.ts), when Consul invalidates the session; this delay is
 * the margin for a write already on the wire then.
 */
export const LOCK_DELAY_S = 1;
/** Each blocking query on the lock key and on the session waits this long before Consul answers unchanged. */
export const WATCH_WAIT_MS = 10_000;
/**
 * Consul invalidates a session 2×TTL after its last renewal (its SessionTTLMultiplier); the lease ends there, the
 * lock-delay after it is the margin for a write already on the wire.
 */
const LEASE_TIMES: LeaseTimes = {
  leaseMs: 2 * SESSION_TTL_S * 1000,
  renewEveryMs: RENEW_EVERY_MS,
  waitMs: WATCH_WAIT_MS,
};

export { lockKey, identityKey, hashKeyKey, revisionsPrefix, pad };

interface KvItem {
  Key: string;
  Value: string | null;
  Session?: string;
  ModifyIndex: number;
}

/**
 * Who holds the lock, from the key's value. The value is only ever shown, never acted upon: one that is not a lock
 * record of stack's (stored.ts) is shown as an unknown holder naming the key, so that a damaged lock can still be
 * waited for and removed with unlock --force.
 */
export function parseLockValue(stack: string, value: string | null | undefined, session?: string): LockInfo {
  const key = lockKey(stack);
  try {
    const v = parseLockInfo(key, parseJson(key, value));
    return { ...v, id: session ?? v.id };
  } catch (err) {
    const why = err instanceof StoredDataError ? err.problem : String(err);
    return {
      stack,
      user: 'unknown',
      machine: 'unknown',
      command: `unknown (the value of ${key} is not a lock record: ${why})`,
      since: 'unknown',
      pid: 0,
      id: session,
    };
  }
}

export class ConsulStateStore implements StateStore {
  readonly where: string;

  constructor(readonly client: ConsulClient) {
    this.where = `Consul at ${client.address}`;
  }

  private async item(key: string, options: Record<string, unknown> = {}): Promise<KvItem | undefined> {
    const got = await this.client.call(`read ${key}`, (api) => api.kv.get({ key, ...options } as never));
    return got ?? undefined;
  }

  async identity(stack: string): Promise<StackOwner | undefined> {
    const item = await this.item(identityKey(stack));
    if (!item) return undefined;
    const stored = parseIdentity(item.Value);
    if (!stored)
      throw new Error(
        `${identityKey(stack)} in ${this.where} does not hold a stack identity; restore it, or delete it only if no host has objects of stack ${stack}`,
      );
    return ownerFrom(stored, this.where);
  }

  async claimIdentity(stack: string): Promise<StackOwner> {
    const key = identityKey(stack);
    // Read first: an identity, once written, never changes, so every apply but the first needs one round trip.
    const found = await this.identity(stack);
    if (found) return found;
    // cas=0 writes only when the key does not exist: of two first applies, one identity wins, and the other reads it.
    const value = JSON.stringify(newIdentity());
    const stored = parseIdentity(value);
    if (stored && (await this.client.call(`write ${key}`, (api) => api.kv.set({ key, value, cas: 0 }))))
      return ownerFrom(stored, this.where);
    const owner = await this.identity(stack);
    if (!owner) throw new Error(`${key} in ${this.where} could not be written`);
    return owner;
  }

  async hashKey(stack: string): Promise<HashKey | undefined> {
    const item = await this.item(hashKeyKey(stack));
    if (!item) return undefined;
    const key = parseStoredHashKey(item.Value);
    if (!key) throw new StoredDataError(hashKeyKey(stack), badHashKey());
    return key;
  }

  async claimHashKey(stack: string): Promise<HashKey> {
    const name = hashKeyKey(stack);
    // Read first: a hash key, once written, never changes (one round trip on every apply but the first).
    const found = await this.hashKey(stack);
    if (found) return found;
    // cas=0 writes only when the key does not exist: of two first applies, one key wins, and the other reads it.
    const value = newStoredHashKey();
    const made = parseStoredHashKey(value);
    if (made && (await this.client.call(`write ${name}`, (api) => api.kv.set({ key: name, value, cas: 0 }))))
      return made;
    const key = await this.hashKey(stack);
    if (!key) throw new Error(`${name} in ${this.where} could not be written`);
    return key;
  }

  async holder(stack: string): Promise<LockInfo | undefined> {
    const item = await this.item(lockKey(stack));
    return item?.Session ? parseLockValue(stack, item.Value, item.Session) : undefined;
  }

  async acquire(stack: string, info: LockInfo, options: AcquireOptions): Promise<HeldLock> {
    const key = lockKey(stack);
    const started = Date.now();
    let confirmedAt = performance.now();
    const { ID: id } = await this.client.call('create a session for the apply lock', (api) =>
      api.session.create({
        name: `stack ${info.command} ${stack}`,
        ttl: `${SESSION_TTL_S}s`,
        lockdelay: `${LOCK_DELAY_S}s`,
        behavior: 'release',
      }),
    );
    const held: LockInfo = { ...info, id };
    const renew = async () => {
      const sent = performance.now();
      await this.client.call('renew the lock session', (api) => api.session.renew(id));
      confirmedAt = sent;
    };
    try {
      let told = false;
      for (;;) {
        if (options.signal?.aborted) throw new LockWaitAbortedError(stack);
        const ok = await this.client.call(`acquire ${key}`, (api) =>
          api.kv.set({ key, value: JSON.stringify(held), acquire: id }),
        );
        if (ok) break;
        const holder = await this.holder(stack);
        if (!told) {
          options.onWait?.(holder);
          told = true;
        }
        const left = options.timeoutMs - (Date.now() - started);
        if (left <= 0) throw new LockTimeoutError(stack, holder, Date.now() - started);
        await abortableSleep(Math.min(options.pollMs ?? 500, left), options.signal);
        if (options.signal?.aborted) throw new LockWaitAbortedError(stack);
        if (performance.now() - confirmedAt >= RENEW_EVERY_MS) await renew();
      }
    } catch (err) {
      await this.client.call('destroy the lock session', (api) => api.session.destroy(id)).catch(() => undefined);
      throw err;
    }
    return this.hold(key, held, new LockLease(this.client, stack, key, id, confirmedAt, LEASE_TIMES).start());
  }

  /** The held lock: watched by its lease, which also fences this store's own Consul writes (revision, catalog). */
  private hold(key: string, info: LockInfo, lease: LockLease): HeldLock {
    this.client.fenceWith(lease.fence);
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await lease.stop();
      const id = lease.session;
      try {
        await this.deleteIfHeld(key, id);
      } finally {
        await this.client.call('destroy the lock session', (api) => api.session.destroy(id)).catch(() => undefined);
      }
    };
    return { info, lost: lease.lost, fence: lease.fence, release };
  }

  /**
   * Deletes the lock key in one transaction if `session` still holds it (check-session, then delete): Consul rolls
   * the transaction back (HTTP 409) when the key is gone or another session holds it, which is left alone. No
   * lock-delay follows: that is set only when a session holding a key is invalidated.
   */
  private async deleteIfHeld(key: string, session: string): Promise<void> {
    const ops = releaseTxn(key, session);
    try {
      await this.client.call(`release ${key}`, (api) => api.transaction.create(ops as never));
    } catch (err) {
      if (err instanceof ConsulRequestError && err.statusCode === 409) return;
      throw err;
    }
  }

  async lockState(stack: string): Promise<LockState | undefined> {
    const item = await this.item(lockKey(stack));
    return item
      ? {
          holder: item.Session ? parseLockValue(stack, item.Value, item.Session) : undefined,
          index: String(item.ModifyIndex),
        }
      : undefined;
  }

  /**
   * Removes the lock only if it is still the one seen at `index` (its ModifyIndex): the key is deleted with
   * check-and-set on that index, then the holder's session is destroyed (it holds nothing any more, so no
   * lock-delay is set). A lock released, or taken by another run, meanwhile has another index and is left alone.
   */
  async forceUnlock(stack: string, index: string): Promise<ForceUnlockResult> {
    const key = lockKey(stack);
    const item = await this.item(key);
    if (!item) return { outcome: 'gone' };
    const holder = item.Session ? parseLockValue(stack, item.Value, item.Session) : undefined;
    if (String(item.ModifyIndex) !== index)
      return { outcome: 'changed', now: { holder, index: String(item.ModifyIndex) } };
    const deleted = await this.client.call(`delete ${key}`, (api) => api.kv.del({ key, cas: item.ModifyIndex }));
    if (!deleted) return { outcome: 'changed', now: await this.lockState(stack) };
    if (item.Session)
      await this.client
        .call("destroy the holder's session", (api) => api.session.destroy(item.Session!))
        .catch(() => undefined);
    return { outcome: 'removed', holder: holder ?? { ...parseLockValue(stack, item.Value), id: undefined } };
  }

  private async numbers(stack: string): Promise<number[]> {
    const prefix = revisionsPrefix(stack);
    let keys: string[];
    try {
      keys = await this.client.call('list revisions', (api) => api.kv.keys(prefix));
    } catch (err) {
      if (err instanceof ConsulRequestError && err.statusCode === 404) return [];
      throw err;
    }
    return (keys ?? [])
      .map((k) => /\/(\d+)\/manifest$/.exec(k)?.[1])
      .filter((x): x is string => !!x)
      .map(Number)
      .sort((a, b) => a - b);
  }

  private async manifest(stack: string, n: number): Promise<RevisionManifest | undefined> {
    const key = `${revisionsPrefix(stack)}${pad(n)}/manifest`;
    const item = await this.item(key);
    return item ? parseManifest(key, parseJson(key, item.Value), n) : undefined;
  }

  async latest(stack: string): Promise<RevisionSummary | undefined> {
    const n = (await this.numbers(stack)).at(-1);
    const m = n === undefined ? undefined : await this.manifest(stack, n);
    return m ? summaryOf(m) : undefined;
  }

  async list(stack: string): Promise<RevisionSummary[]> {
    const numbers = await this.numbers(stack);
    // One round trip for all manifests instead of one after the other (up to keep_revisions of them).
    const manifests = await Promise.all(numbers.map((n) => this.manifest(stack, n)));
    return manifests.filter((m): m is RevisionManifest => !!m).map(summaryOf);
  }

  async get(stack: string, number: number): Promise<RevisionRecord | undefined> {
    const manifest = await this.manifest(stack, number);
    if (!manifest) return undefined;
    const base = `${revisionsPrefix(stack)}${pad(number)}/`;
    const chunks: string[] = [];
    for (let i = 0; i < manifest.chunks; i++) {
      const key = `${base}${manifest.chunkDir ?? 'chunks'}/${i}`;
      const item = await this.item(key);
      if (!item?.Value) throw new StoredDataError(key, `chunk ${i} of ${manifest.chunks} is missing`);
      if (item.Value.length > VALUE_LIMIT)
        throw new StoredDataError(key, `is larger than Consul's ${VALUE_LIMIT} bytes a value`);
      chunks.push(item.Value);
    }
    return decodeRevision(manifest, chunks, `${base}manifest`);
  }

  /**
   * Writes a revision: its chunks, then its manifest only if the number is free (cas 0). A small revision goes in one
   * transaction (kv-txn.ts), a large one chunk by chunk. The numbers to prune are listed beside the write: under
   * the lock nobody else records, so those and this one are the stack's revisions after it.
   */
  async record(stack: string, record: RevisionRecord, keep: number): Promise<void> {
    const base = `${revisionsPrefix(stack)}${pad(record.number)}/`;
    const listed = this.numbers(stack); // on its way while the record is encoded
    listed.catch(() => undefined); // awaited below, once the revision is written
    const encoded = encodeRevision(record);
    // Chunks go to a folder of this writer's own, named in the manifest: a writer whose manifest loses the
    // check-and-set (the number was taken) then never overwrites the winner's chunks, and removes its own.
    const chunkDir = `chunks-${randomBytes(6).toString('hex')}`;
    const manifest: RevisionManifest = { ...encoded.manifest, chunkDir };
    const small = encoded.chunks.reduce((n, c) => n + c.length, 0) <= TXN_RECORD_BYTES;
    const written = small
      ? await this.writeInOne(base, chunkDir, encoded.chunks, manifest)
      : await this.writeInTurn(base, chunkDir, encoded.chunks, manifest);
    if (written !== true) await this.refused(stack, record.number, { chunkDir, rolledBack: small, why: written });
    const numbers = [...new Set([...(await listed), record.number])].sort((a, b) => a - b);
    for (const ops of pruneTxns(stack, prunedOf(numbers, keep)))
      await this.client.write(`prune revisions of ${stack}`, (api) => api.transaction.create(ops as never));
  }

  /**
   * Chunks and manifest in one transaction; Consul's error when it rolled it back (409: an operation failed — the
   * manifest's cas, when a manifest is there: another's, or this one's own when a retried request had already been
   * applied; the caller reads which).
   */
  private async writeInOne(
    base: string,
    chunkDir: string,
    chunks: string[],
    manifest: RevisionManifest,
  ): Promise<true | ConsulRequestError> {
    const ops: KvTxnOp[] = recordTxn(base, chunkDir, chunks, JSON.stringify(manifest));
    try {
      await this.client.write(`write ${base}manifest`, (api) => api.transaction.create(ops as never));
      return true;
    } catch (err) {
      if (err instanceof ConsulRequestError && err.statusCode === 409) return err;
      throw err;
    }
  }

  /**
   * A manifest write that did not go through: fine when the manifest there names this writer's chunk folder (its own
   * write, applied before a retry); else the number is taken (the chunks written one by one are removed), or, with no
   * manifest there, the transaction failed for Consul's own reason, which is thrown.
   */
  private async refused(
    stack: string,
    number: number,
    attempt: { chunkDir: string; rolledBack: boolean; why: false | ConsulRequestError },
  ): Promise<void> {
    const there = await this.manifest(stack, number);
    if (there?.chunkDir === attempt.chunkDir) return;
    if (!there && attempt.why) throw attempt.why;
    if (!attempt.rolledBack) await this.removeChunks(`${revisionsPrefix(stack)}${pad(number)}/`, attempt.chunkDir);
    throw new Error(`revision ${number} of stack ${stack} already exists in ${this.where}`);
  }

  /** Chunk by chunk, then the manifest with cas 0; false when the manifest's cas failed. */
  private async writeInTurn(
    base: string,
    chunkDir: string,
    chunks: string[],
    manifest: RevisionManifest,
  ): Promise<boolean> {
    for (const [i, chunk] of chunks.entries())
      await this.client.write(`write ${base}${chunkDir}/${i}`, (api) => api.kv.set(`${base}${chunkDir}/${i}`, chunk));
    return this.client.write(`write ${base}manifest`, (api) =>
      api.kv.set({ key: `${base}manifest`, value: JSON.stringify(manifest), cas: 0 }),
    );
  }

  /** A losing writer's chunks: never another's, since each writer has a folder of its own. */
  private async removeChunks(base: string, chunkDir: string): Promise<void> {
    await this.client
      .write(`remove ${base}${chunkDir}/`, (api) => api.kv.del({ key: `${base}${chunkDir}/`, recurse: true }))
      .catch(() => undefined);
  }

  close(): void {
    this.client.close();
  }
}

export { ConsulUnreachableError };
