/**
 * The state store in a local directory, for one machine without Consul (development): the lock is a file
 * created exclusively (`lock.json`; a lock left by a dead process on this machine is taken over), revisions
 * are chunk files plus a manifest linked into place last (link fails if it exists: check-and-set).
 * Not for CI runners that share a stack: they need Consul.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeRevision, encodeRevision, summaryOf } from './revision-codec.js';
import { newIdentity, ownerFrom, parseIdentity } from './identity.js';
import type { StackOwner } from '../labels.js';
import { abortableSleep, LockTimeoutError, LockWaitAbortedError, type AcquireOptions, type HeldLock, type LockInfo, type RevisionManifest, type RevisionRecord, type RevisionSummary, type StateStore } from './types.js';

const pad = (n: number) => String(n).padStart(10, '0');

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

  constructor(readonly root: string) {
    this.where = `local state in ${root}`;
  }

  private dir(stack: string): string {
    return path.join(this.root, stack);
  }

  private lockFile(stack: string): string {
    return path.join(this.dir(stack), 'lock.json');
  }

  private readLock(stack: string): LockInfo | undefined {
    try {
      return JSON.parse(readFileSync(this.lockFile(stack), 'utf8')) as LockInfo;
    } catch {
      return undefined;
    }
  }

  private identityFile(stack: string): string {
    return path.join(this.dir(stack), 'identity.json');
  }

  async identity(stack: string): Promise<StackOwner | undefined> {
    let text: string;
    try {
      text = readFileSync(this.identityFile(stack), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const stored = parseIdentity(text);
    if (!stored) throw new Error(`${this.identityFile(stack)} does not hold a stack identity; restore it from a backup, or remove it only if no host has objects of stack ${stack}`);
    return ownerFrom(stored, this.where);
  }

  async claimIdentity(stack: string): Promise<StackOwner> {
    mkdirSync(this.dir(stack), { recursive: true });
    try {
      writeFileSync(this.identityFile(stack), JSON.stringify(newIdentity()), { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return (await this.identity(stack))!;
  }

  async holder(stack: string): Promise<LockInfo | undefined> {
    return this.readLock(stack);
  }

  async acquire(stack: string, info: LockInfo, options: AcquireOptions): Promise<HeldLock> {
    mkdirSync(this.dir(stack), { recursive: true });
    const file = this.lockFile(stack);
    const held: LockInfo = { ...info, id: randomBytes(8).toString('hex') };
    const started = Date.now();
    let told = false;
    for (;;) {
      if (options.signal?.aborted) throw new LockWaitAbortedError(stack);
      try {
        writeFileSync(file, JSON.stringify(held), { flag: 'wx' });
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
    const lost = new AbortController();
    const timer = setInterval(() => {
      if (this.readLock(stack)?.id !== held.id) lost.abort(new Error(`lost the lock on stack ${stack}: ${file} was removed (stack unlock --force?)`));
    }, 1000);
    let released = false;
    return {
      info: held,
      lost: lost.signal,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        if (this.readLock(stack)?.id === held.id) unlinkSync(file);
      },
    };
  }

  async forceUnlock(stack: string): Promise<LockInfo | undefined> {
    const holder = this.readLock(stack);
    if (existsSync(this.lockFile(stack))) rmSync(this.lockFile(stack), { force: true });
    return holder;
  }

  private revisionsDir(stack: string): string {
    return path.join(this.dir(stack), 'revisions');
  }

  private numbers(stack: string): number[] {
    const dir = this.revisionsDir(stack);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((d) => /^\d+$/.test(d) && existsSync(path.join(dir, d, 'manifest.json')))
      .map(Number)
      .sort((a, b) => a - b);
  }

  private manifest(stack: string, n: number): RevisionManifest | undefined {
    try {
      return JSON.parse(readFileSync(path.join(this.revisionsDir(stack), pad(n), 'manifest.json'), 'utf8')) as RevisionManifest;
    } catch {
      return undefined;
    }
  }

  async latest(stack: string): Promise<RevisionSummary | undefined> {
    const n = this.numbers(stack).at(-1);
    const m = n === undefined ? undefined : this.manifest(stack, n);
    return m ? summaryOf(m) : undefined;
  }

  async list(stack: string): Promise<RevisionSummary[]> {
    return this.numbers(stack)
      .map((n) => this.manifest(stack, n))
      .filter((m): m is RevisionManifest => !!m)
      .map(summaryOf);
  }

  async get(stack: string, number: number): Promise<RevisionRecord | undefined> {
    const manifest = this.manifest(stack, number);
    if (!manifest) return undefined;
    const dir = path.join(this.revisionsDir(stack), pad(number), 'chunks');
    const chunks: string[] = [];
    for (let i = 0; i < manifest.chunks; i++) {
      try {
        chunks.push(readFileSync(path.join(dir, String(i)), 'utf8'));
      } catch {
        break;
      }
    }
    return decodeRevision(manifest, chunks);
  }

  async record(stack: string, record: RevisionRecord, keep: number): Promise<void> {
    const dir = path.join(this.revisionsDir(stack), pad(record.number));
    mkdirSync(path.join(dir, 'chunks'), { recursive: true });
    const { manifest, chunks } = encodeRevision(record);
    for (const [i, chunk] of chunks.entries()) writeFileSync(path.join(dir, 'chunks', String(i)), chunk);
    const tmp = path.join(dir, `manifest.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(manifest));
    try {
      linkSync(tmp, path.join(dir, 'manifest.json'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`revision ${record.number} of stack ${stack} already exists in ${this.where}`);
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
  }

  close(): void {}
}
