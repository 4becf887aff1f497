/**
 * The state store in a local directory, for one machine without Consul (development): the lock is a file
 * created exclusively (`lock.json`; a lock left by a dead process on this machine is taken over), revisions
 * are chunk files plus a manifest linked into place last (link fails if it exists: check-and-set).
 * Not for CI runners that share a stack: they need Consul. Folders are created 0700 and files 0600; what it reads is
 * checked, and a folder or file open to group or others is warned about once (see private-files.ts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { FencedError, UNFENCED, type Fence } from '../fence.js';
import os from 'node:os';
import path from 'node:path';
import { decodeRevision, encodeRevision, summaryOf, VALUE_LIMIT } from './revision-codec.js';
import { MAX_SMALL_VALUE_BYTES, parseJson, parseLockInfo, parseManifest, StoredDataError } from './stored.js';
import {
  abortableSleep,
  LockTimeoutError,
  LockWaitAbortedError,
  type AcquireOptions,
  type ForceUnlockResult,
  type HeldLock,
  type LockInfo,
  type LockState,
  type RevisionManifest,
  type RevisionRecord,
  type RevisionSummary,
  type StateStore,
} from './types.js';
import { newIdentity, ownerFrom, parseIdentity } from './identity.js';
import { badHashKey, newStoredHashKey, parseStoredHashKey } from './hash-key.js';
import type { HashKey } from '../sensitive.js';
import type { StackOwner } from '../labels.js';
import { makePrivateDir, ModeCheck, replacePrivateFile, writePrivateFile, type StateWarn } from './private-files.js';

const pad = (n: number) => String(n).padStart(10, '0');

/**
 * The StateStore interface is asynchronous; the local store's work is synchronous: its value, or what it threw, as
 * a settled promise (so a caller sees a failure as a rejection, as with Consul).
 */
function settled<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** STACK_STATE_DIR, else $XDG_STATE_HOME/stack, else ~/.local/state/stack. */
export function localStateRoot(env: Record<string, string | undefined>): string {
  if (env.STACK_STATE_DIR) return path.resolve(env.STACK_STATE_DIR);
  if (env.XDG_STATE_HOME) return path.join(env.XDG_STATE_HOME, 'stack');
  return path.join(os.homedir(), '.local', 'state', 'stack');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class LocalStateStore implements StateStore {
  readonly where: string;
  /** The held lock's fence: `record` checks it before writing. */
  private fence: Fence = UNFENCED;
  private readonly modes: ModeCheck;

  /** `warn` receives the one warning about a state folder or file that group or others may access. */
  constructor(
    readonly root: string,
    warn?: StateWarn,
  ) {
    this.where = `local state in ${root}`;
    this.modes = new ModeCheck(root, warn);
  }

  private dir(stack: string): string {
    return path.join(this.root, stack);
  }

  /** Checks the root, the stack's folder and `paths` inside it. */
  private look(stack: string, ...paths: string[]): void {
    this.modes.look(this.root, this.dir(stack), ...paths);
  }

  private lockFile(stack: string): string {
    return path.join(this.dir(stack), 'lock.json');
  }

  private readLock(stack: string): LockInfo | undefined {
    return this.readLockFile(this.lockFile(stack));
  }

  /** The lock file's holder; a file that is not a lock record of stack's is an unknown holder naming it (see parseLockValue). */
  private readLockFile(file: string): LockInfo | undefined {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    this.look(path.basename(path.dirname(file)), file);
    try {
      return parseLockInfo(file, parseJson(file, text));
    } catch (err) {
      const why = err instanceof StoredDataError ? err.problem : String(err);
      return {
        stack: path.basename(path.dirname(file)),
        user: 'unknown',
        machine: 'unknown',
        command: `unknown (${file} is not a lock record: ${why})`,
        since: 'unknown',
        pid: 0,
      };
    }
  }

  private identityFile(stack: string): string {
    return path.join(this.dir(stack), 'identity.json');
  }

  identity(stack: string): Promise<StackOwner | undefined> {
    return settled(() => {
      let text: string;
      try {
        text = readFileSync(this.identityFile(stack), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      this.look(stack, this.identityFile(stack));
      const stored = parseIdentity(text);
      if (!stored)
        throw new Error(
          `${this.identityFile(stack)} does not hold a stack identity; restore it from a backup, or remove it only if no host has objects of stack ${stack}`,
        );
      return ownerFrom(stored, this.where);
    });
  }

  async claimIdentity(stack: string): Promise<StackOwner> {
    makePrivateDir(this.dir(stack));
    try {
      writePrivateFile(this.identityFile(stack), JSON.stringify(newIdentity()));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return (await this.identity(stack))!;
  }

  private hashKeyFile(stack: string): string {
    return path.join(this.dir(stack), 'hash-key.json');
  }

  hashKey(stack: string): Promise<HashKey | undefined> {
    return settled(() => {
      let text: string;
      this.look(stack, this.hashKeyFile(stack));
      try {
        text = readFileSync(this.hashKeyFile(stack), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      const key = parseStoredHashKey(text);
      if (!key) throw new StoredDataError(this.hashKeyFile(stack), badHashKey());
      return key;
    });
  }

  async claimHashKey(stack: string): Promise<HashKey> {
    makePrivateDir(this.dir(stack));
    try {
      // Create-only and 0600 from the start: two first applies agree on one key, and no one else reads it.
      writePrivateFile(this.hashKeyFile(stack), newStoredHashKey());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const key = await this.hashKey(stack);
    if (!key) throw new Error(`${this.hashKeyFile(stack)} could not be written`);
    return key;
  }

  holder(stack: string): Promise<LockInfo | undefined> {
    return settled(() => {
      return this.readLock(stack);
    });
  }

  async acquire(stack: string, info: LockInfo, options: AcquireOptions): Promise<HeldLock> {
    makePrivateDir(this.dir(stack));
    const file = this.lockFile(stack);
    const held: LockInfo = { ...info, id: randomBytes(8).toString('hex') };
    const started = Date.now();
    let told = false;
    for (;;) {
      if (options.signal?.aborted) throw new LockWaitAbortedError(stack);
      try {
        writePrivateFile(file, JSON.stringify(held));
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = this.readLock(stack);
      if (holder && holder.machine === os.hostname() && holder.pid && !alive(holder.pid)) {
        // Left by a process that died on this machine: take it over.
        rmSync(file, { force: true });
        continue;
      }
      if (!told) {
        options.onWait?.(holder);
        told = true;
      }
      const left = options.timeoutMs - (Date.now() - started);
      if (left <= 0) throw new LockTimeoutError(stack, holder, Date.now() - started);
      await abortableSleep(Math.min(options.pollMs ?? 250, left), options.signal);
    }
    return this.hold(stack, held);
  }

  /**
   * The held lock. Its fence reads the lock file before every write (a few microseconds): a lock removed by
   * `unlock --force` stops the next write at once; a timer also notices it within a second between writes.
   */
  private hold(stack: string, held: LockInfo): HeldLock {
    const file = this.lockFile(stack);
    const lost = new AbortController();
    const look = () => {
      if (!lost.signal.aborted && this.readLock(stack)?.id !== held.id)
        lost.abort(
          new Error(`lost the lock on stack ${stack}: ${file} was removed or replaced (stack unlock --force?)`),
        );
    };
    const timer = setInterval(look, 1000);
    const fence: Fence = {
      signal: lost.signal,
      check: (action) => {
        look();
        if (lost.signal.aborted) throw new FencedError(action, (lost.signal.reason as Error).message);
      },
    };
    this.fence = fence;
    let released = false;
    return {
      info: held,
      lost: lost.signal,
      fence,
      release: () =>
        settled(() => {
          if (released) return;
          released = true;
          clearInterval(timer);
          this.fence = UNFENCED;
          if (this.readLock(stack)?.id === held.id) unlinkSync(file);
        }),
    };
  }

  lockState(stack: string): Promise<LockState | undefined> {
    return settled(() => {
      const holder = this.readLock(stack);
      return holder
        ? { holder, index: holder.id ?? 'unknown' }
        : existsSync(this.lockFile(stack))
          ? { index: 'unknown' }
          : undefined;
    });
  }

  /** Moves the lock file aside, and puts it back if it is not the one at `index` (another run took the lock meanwhile). */
  async forceUnlock(stack: string, index: string): Promise<ForceUnlockResult> {
    const file = this.lockFile(stack);
    const now = await this.lockState(stack);
    if (!now) return { outcome: 'gone' };
    if (now.index !== index) return { outcome: 'changed', now };
    const aside = `${file}.${process.pid}.removed`;
    try {
      renameSync(file, aside);
    } catch {
      return { outcome: 'gone' };
    }
    const moved = this.readLockFile(aside);
    if ((moved?.id ?? 'unknown') !== index) {
      try {
        linkSync(aside, file);
      } catch {
        /* a newer lock is in place already */
      }
      rmSync(aside, { force: true });
      return { outcome: 'changed', now: await this.lockState(stack) };
    }
    rmSync(aside, { force: true });
    return { outcome: 'removed', holder: moved };
  }

  private revisionsDir(stack: string): string {
    return path.join(this.dir(stack), 'revisions');
  }

  private numbers(stack: string): number[] {
    const dir = this.revisionsDir(stack);
    if (!existsSync(dir)) return [];
    this.look(stack, dir);
    return readdirSync(dir)
      .filter((d) => /^\d+$/.test(d) && existsSync(path.join(dir, d, 'manifest.json')))
      .map(Number)
      .sort((a, b) => a - b);
  }

  private manifest(stack: string, n: number): RevisionManifest | undefined {
    const file = path.join(this.revisionsDir(stack), pad(n), 'manifest.json');
    let text: string;
    try {
      if (statSync(file).size > MAX_SMALL_VALUE_BYTES)
        throw new StoredDataError(file, `is larger than ${MAX_SMALL_VALUE_BYTES} bytes`);
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if (err instanceof StoredDataError) throw err;
      return undefined;
    }
    this.look(stack, path.dirname(file), file);
    return parseManifest(file, parseJson(file, text), n);
  }

  latest(stack: string): Promise<RevisionSummary | undefined> {
    return settled(() => {
      const n = this.numbers(stack).at(-1);
      const m = n === undefined ? undefined : this.manifest(stack, n);
      return m ? summaryOf(m) : undefined;
    });
  }

  list(stack: string): Promise<RevisionSummary[]> {
    return settled(() => {
      return this.numbers(stack)
        .map((n) => this.manifest(stack, n))
        .filter((m): m is RevisionManifest => !!m)
        .map(summaryOf);
    });
  }

  get(stack: string, number: number): Promise<RevisionRecord | undefined> {
    return settled(() => {
      const manifest = this.manifest(stack, number);
      if (!manifest) return undefined;
      const dir = path.join(this.revisionsDir(stack), pad(number), 'chunks');
      const chunks: string[] = [];
      for (let i = 0; i < manifest.chunks; i++) {
        const file = path.join(dir, String(i));
        try {
          if (statSync(file).size > VALUE_LIMIT) throw new StoredDataError(file, `is larger than ${VALUE_LIMIT} bytes`);
          chunks.push(readFileSync(file, 'utf8'));
          this.look(stack, dir, file);
        } catch (err) {
          if (err instanceof StoredDataError) throw err;
          break;
        }
      }
      return decodeRevision(manifest, chunks, path.join(this.revisionsDir(stack), pad(number), 'manifest.json'));
    });
  }

  record(stack: string, record: RevisionRecord, keep: number): Promise<void> {
    return settled(() => {
      const dir = path.join(this.revisionsDir(stack), pad(record.number));
      makePrivateDir(path.join(dir, 'chunks'));
      const { manifest, chunks } = encodeRevision(record);
      this.fence.check(`record revision ${record.number} in ${this.where}`);
      for (const [i, chunk] of chunks.entries()) replacePrivateFile(path.join(dir, 'chunks', String(i)), chunk);
      const tmp = path.join(dir, `manifest.${process.pid}.tmp`);
      replacePrivateFile(tmp, JSON.stringify(manifest));
      try {
        this.fence.check(`record revision ${record.number} in ${this.where}`);
        linkSync(tmp, path.join(dir, 'manifest.json'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST')
          throw new Error(`revision ${record.number} of stack ${stack} already exists in ${this.where}`, {
            cause: err,
          });
        throw err;
      } finally {
        rmSync(tmp, { force: true });
      }
      const numbers = this.numbers(stack);
      for (const n of numbers.slice(0, Math.max(0, numbers.length - Math.max(1, keep)))) {
        const old = path.join(this.revisionsDir(stack), pad(n));
        rmSync(path.join(old, 'manifest.json'), { force: true });
        rmSync(old, { recursive: true, force: true });
      }
    });
  }

  close(): void {}
}
