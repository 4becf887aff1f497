/**
 * The state store in Consul: the apply lock is a session (TTL 10 s, renewed every 5 s, lock-delay 1 s,
 * behaviour release) and a KV acquire on `stack/<name>/lock`; revisions live under
 * `stack/<name>/revisions/<number>/` as chunks written first and a manifest written last with check-and-set.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { ConsulClient } from './client.js';
import { ConsulRequestError, ConsulUnreachableError } from './client.js';
import { decodeRevision, encodeRevision, summaryOf } from '../state/revision-codec.js';
import { newIdentity, ownerFrom, parseIdentity } from '../state/identity.js';
import type { StackOwner } from '../labels.js';
import {
  abortableSleep,
  LockTimeoutError,
  LockWaitAbortedError,
  type AcquireOptions,
  type HeldLock,
  type LockInfo,
  type RevisionManifest,
  type RevisionRecord,
  type RevisionSummary,
  type StateStore,
} from '../state/types.js';

export const SESSION_TTL_S = 10;
export const RENEW_EVERY_MS = 5000;
/** Short on purpose: a killed holder's lock frees within 2×TTL + this, and stack has no stale writes to fence. */
export const LOCK_DELAY_S = 1;

export const lockKey = (stack: string) => `stack/${stack}/lock`;
export const identityKey = (stack: string) => `stack/${stack}/identity`;
export const revisionsPrefix = (stack: string) => `stack/${stack}/revisions/`;
export const pad = (n: number) => String(n).padStart(10, '0');

interface KvItem {
  Key: string;
  Value: string | null;
  Session?: string;
  ModifyIndex: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function parseLockValue(stack: string, value: string | null | undefined, session?: string): LockInfo {
  try {
    const v = JSON.parse(value ?? '') as LockInfo;
    if (v && typeof v === 'object') return { ...v, id: session ?? v.id };
  } catch {
    /* not ours: described as unknown below */
  }
  return { stack, user: 'unknown', machine: 'unknown', command: 'unknown', since: 'unknown', pid: 0, id: session };
}

export class ConsulStateStore implements StateStore {
  readonly where: string;

  constructor(readonly client: ConsulClient) {
    this.where = `Consul at ${client.address}`;
  }

  private async item(key: string, options: Record<string, unknown> = {}): Promise<KvItem | undefined> {
    const got = await this.client.call(`read ${key}`, (api) => api.kv.get({ key, ...options } as never));
    return (got ?? undefined) as KvItem | undefined;
  }

  async identity(stack: string): Promise<StackOwner | undefined> {
    const item = await this.item(identityKey(stack));
    if (!item) return undefined;
    const stored = parseIdentity(item.Value);
    if (!stored) throw new Error(`${identityKey(stack)} in ${this.where} does not hold a stack identity; restore it, or delete it only if no host has objects of stack ${stack}`);
    return ownerFrom(stored, this.where);
  }

  async claimIdentity(stack: string): Promise<StackOwner> {
    const key = identityKey(stack);
    // cas=0 writes only when the key does not exist: of two first applies, one identity wins and both read it.
    await this.client.call(`write ${key}`, (api) => api.kv.set({ key, value: JSON.stringify(newIdentity()), cas: 0 }));
    const owner = await this.identity(stack);
    if (!owner) throw new Error(`${key} in ${this.where} could not be written`);
    return owner;
  }

  async holder(stack: string): Promise<LockInfo | undefined> {
    const item = await this.item(lockKey(stack));
    return item?.Session ? parseLockValue(stack, item.Value, item.Session) : undefined;
  }

  async acquire(stack: string, info: LockInfo, options: AcquireOptions): Promise<HeldLock> {
    const key = lockKey(stack);
    const started = Date.now();
    const { ID: id } = await this.client.call('create a session for the apply lock', (api) =>
      api.session.create({ name: `stack ${info.command} ${stack}`, ttl: `${SESSION_TTL_S}s`, lockdelay: `${LOCK_DELAY_S}s`, behavior: 'release' }),
    );
    const held: LockInfo = { ...info, id };
    let lastRenew = Date.now();
    const renew = async () => {
      await this.client.call('renew the lock session', (api) => api.session.renew(id));
      lastRenew = Date.now();
    };
    try {
      let told = false;
      for (;;) {
        if (options.signal?.aborted) throw new LockWaitAbortedError(stack);
        const ok = await this.client.call(`acquire ${key}`, (api) => api.kv.set({ key, value: JSON.stringify(held), acquire: id }));
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
        if (Date.now() - lastRenew >= RENEW_EVERY_MS) await renew();
      }
    } catch (err) {
      await this.client.call('destroy the lock session', (api) => api.session.destroy(id)).catch(() => undefined);
      throw err;
    }
    return this.watch(stack, key, held, renew, () => lastRenew);
  }

  /** Keeps the session alive and watches the key; aborts `lost` when the lock is gone. */
  private watch(stack: string, key: string, info: LockInfo, renew: () => Promise<void>, lastRenew: () => number): HeldLock {
    const lostController = new AbortController();
    const cancel = new EventEmitter();
    let stopped = false;
    const lose = (why: string) => {
      if (!lostController.signal.aborted) lostController.abort(new Error(`lost the lock on stack ${stack}: ${why}`));
    };
    const loop = (async () => {
      let index = 0;
      while (!stopped && !lostController.signal.aborted) {
        try {
          const item = await this.client.call(`watch ${key}`, (api) =>
            api.kv.get({ key, index: String(index), wait: `${RENEW_EVERY_MS / 1000}s`, timeout: RENEW_EVERY_MS * 3, ctx: cancel } as never),
          ) as KvItem | null;
          if (stopped) break;
          if (!item || item.Session !== info.id) {
            lose(item?.Session ? 'another session holds it now' : 'the lock was released (stack unlock --force, or the session was invalidated)');
            break;
          }
          index = item.ModifyIndex;
          if (Date.now() - lastRenew() >= RENEW_EVERY_MS) await renew();
        } catch (err) {
          if (stopped) break;
          if (err instanceof ConsulRequestError && err.statusCode === 404) {
            lose(`session ${info.id} expired`);
            break;
          }
          if (Date.now() - lastRenew() > SESSION_TTL_S * 1000) {
            lose(`could not renew the session for ${SESSION_TTL_S}s: ${err instanceof Error ? err.message : String(err)}`);
            break;
          }
          await sleep(1000);
        }
      }
    })();
    const release = async () => {
      if (stopped) return;
      stopped = true;
      cancel.emit('cancel');
      await loop.catch(() => undefined);
      const id = info.id!;
      try {
        await this.client.call(`release ${key}`, (api) => api.kv.set({ key, value: JSON.stringify(info), release: id }));
        const item = await this.item(key);
        if (item && !item.Session) await this.client.call(`delete ${key}`, (api) => api.kv.del({ key, cas: item.ModifyIndex }));
      } finally {
        await this.client.call('destroy the lock session', (api) => api.session.destroy(id)).catch(() => undefined);
      }
    };
    return { info, lost: lostController.signal, release };
  }

  async forceUnlock(stack: string): Promise<LockInfo | undefined> {
    const key = lockKey(stack);
    const item = await this.item(key);
    if (!item) return undefined;
    const info = parseLockValue(stack, item.Value, item.Session);
    // Release through the holder's session first: a release has no lock-delay, invalidating the session would.
    if (item.Session) await this.client.call(`release ${key}`, (api) => api.kv.set({ key, value: item.Value ?? '', release: item.Session! }));
    await this.client.call(`delete ${key}`, (api) => api.kv.del(key));
    if (item.Session) await this.client.call('destroy the holder\'s session', (api) => api.session.destroy(item.Session!)).catch(() => undefined);
    return item.Session ? info : { ...info, id: undefined };
  }

  private async numbers(stack: string): Promise<number[]> {
    const prefix = revisionsPrefix(stack);
    let keys: string[] = [];
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
    const item = await this.item(`${revisionsPrefix(stack)}${pad(n)}/manifest`);
    return item?.Value ? (JSON.parse(item.Value) as RevisionManifest) : undefined;
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
    const chunks: string[] = [];
    for (let i = 0; i < manifest.chunks; i++) {
      const item = await this.item(`${revisionsPrefix(stack)}${pad(number)}/${manifest.chunkDir ?? 'chunks'}/${i}`);
      if (item?.Value) chunks.push(item.Value);
    }
    return decodeRevision(manifest, chunks);
  }

  async record(stack: string, record: RevisionRecord, keep: number): Promise<void> {
    const base = `${revisionsPrefix(stack)}${pad(record.number)}/`;
    const encoded = encodeRevision(record);
    // Chunks go to a folder of this writer's own, named in the manifest: a writer whose manifest loses the
    // check-and-set (the number was taken) then never overwrites the winner's chunks, and removes its own.
    const chunkDir = `chunks-${randomBytes(6).toString('hex')}`;
    const manifest: RevisionManifest = { ...encoded.manifest, chunkDir };
    for (const [i, chunk] of encoded.chunks.entries()) await this.client.call(`write ${base}${chunkDir}/${i}`, (api) => api.kv.set(`${base}${chunkDir}/${i}`, chunk));
    const ok = await this.client.call(`write ${base}manifest`, (api) => api.kv.set({ key: `${base}manifest`, value: JSON.stringify(manifest), cas: 0 }));
    if (!ok) {
      await this.client.call(`remove ${base}${chunkDir}/`, (api) => api.kv.del({ key: `${base}${chunkDir}/`, recurse: true })).catch(() => undefined);
      throw new Error(`revision ${record.number} of stack ${stack} already exists in ${this.where}`);
    }
    const numbers = await this.numbers(stack);
    for (const n of numbers.slice(0, Math.max(0, numbers.length - Math.max(1, keep)))) {
      await this.client.call(`prune revision ${n}`, (api) => api.kv.del(`${revisionsPrefix(stack)}${pad(n)}/manifest`));
      await this.client.call(`prune revision ${n}`, (api) => api.kv.del({ key: `${revisionsPrefix(stack)}${pad(n)}/`, recurse: true }));
    }
  }

  close(): void {
    this.client.close();
  }
}

export { ConsulUnreachableError };
