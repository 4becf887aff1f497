/**
 * A held lock in Consul, watched: its session is renewed every RENEW_EVERY_MS, and two blocking queries — on the
 * lock key and on the session — wake within one round trip of a change (key released, deleted or taken; session
 * invalidated or destroyed). The lease is the local bound: the session was last confirmed alive when the last
 * successful renewal was SENT, and Consul invalidates it only 2×TTL after that (its SessionTTLMultiplier); once
 * `leaseMs` has passed without a successful renewal, the lock is lost here, before Consul can hand it to anyone
 * (it adds the lock-delay).
 * `fence` refuses writes once the lock is lost (src/fence.ts).
 * A leader election (Consul answers 500 for a few seconds) is ridden out by these loops' own retries: the session
 * survives it (the new leader restarts its TTL), and the lease ends only when no renewal succeeded for `leaseMs`.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { ConsulClient } from './client.js';
import { ConsulRequestError } from './client.js';
import { FencedError, type Fence } from '../fence.js';

export interface LeaseTimes {
  /** How long after the last successful renewal was sent the session is trusted (src/state/consul-store.ts: 2×TTL). */
  leaseMs: number;
  renewEveryMs: number;
  /** Wait of each blocking query (Consul's `wait`). */
  waitMs: number;
}

interface KvItem {
  Session?: string;
  ModifyIndex: number;
}

/** Resolves after `ms`, or at once when `stop` aborts (a stopped lease waits for none of its loops' pauses). */
function pause(ms: number, stop: AbortSignal): Promise<void> {
  if (stop.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop.addEventListener('abort', done, { once: true });
  });
}
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class LockLease {
  private readonly lostController = new AbortController();
  /** Aborted by `stop`: ends the loops' pauses at once (the renewal's is up to RENEW_EVERY_MS long). */
  private readonly stopController = new AbortController();
  private readonly cancelKey = new EventEmitter();
  private readonly cancelSession = Object.assign(new EventEmitter(), { includeResponse: true });
  private stopped = false;
  private expiry?: NodeJS.Timeout;
  private loops: Promise<void>[] = [];
  readonly fence: Fence;

  /** `confirmedAt`: performance.now() when the last request that kept the session alive was sent. */
  constructor(
    private readonly client: ConsulClient,
    private readonly stack: string,
    private readonly key: string,
    readonly session: string,
    private confirmedAt: number,
    private readonly times: LeaseTimes,
  ) {
    const lost = this.lostController.signal;
    this.fence = {
      signal: lost,
      check: (action) => {
        this.expireIfDue();
        if (lost.aborted) throw new FencedError(action, message(lost.reason));
      },
    };
  }

  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  start(): this {
    this.schedule();
    this.loops = [this.renewLoop(), this.keyLoop(), this.sessionLoop()];
    return this;
  }

  /** Stops renewing and watching (before the lock is released). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopController.abort();
    clearTimeout(this.expiry);
    this.cancelKey.emit('cancel');
    this.cancelSession.emit('cancel');
    await Promise.all(this.loops.map((l) => l.catch(() => undefined)));
  }

  private pause(ms: number): Promise<void> {
    return pause(ms, this.stopController.signal);
  }

  private lose(why: string): void {
    clearTimeout(this.expiry);
    if (!this.lostController.signal.aborted)
      this.lostController.abort(new Error(`lost the lock on stack ${this.stack}: ${why}`));
  }

  private get active(): boolean {
    return !this.stopped && !this.lostController.signal.aborted;
  }

  private expireIfDue(): void {
    if (this.active && performance.now() - this.confirmedAt >= this.times.leaseMs)
      this.lose(
        `no renewal of session ${this.session} succeeded for ${this.times.leaseMs / 1000}s (Consul unreachable?)`,
      );
  }

  private schedule(): void {
    clearTimeout(this.expiry);
    this.expiry = setTimeout(
      () => this.expireIfDue(),
      Math.max(0, this.confirmedAt + this.times.leaseMs - performance.now()),
    );
    this.expiry.unref();
  }

  private async renewLoop(): Promise<void> {
    while (this.active) {
      const since = performance.now() - this.confirmedAt;
      await this.pause(since < this.times.renewEveryMs ? this.times.renewEveryMs - since : 1000);
      if (!this.active) return;
      const sent = performance.now();
      try {
        await this.client.once('renew the lock session', (api) => api.session.renew(this.session));
        this.confirmedAt = sent;
        this.schedule();
      } catch (err) {
        if (err instanceof ConsulRequestError && err.statusCode === 404) this.lose(`session ${this.session} expired`);
      }
    }
  }

  /** A blocking query on the key: wakes when it is released, deleted or taken. */
  private async keyLoop(): Promise<void> {
    let index = 0;
    while (this.active) {
      try {
        const item = (await this.client.once(`watch ${this.key}`, (api) =>
          api.kv.get({
            key: this.key,
            index: String(index),
            wait: `${this.times.waitMs / 1000}s`,
            timeout: this.times.waitMs + 5000,
            ctx: this.cancelKey,
          } as never),
        )) as KvItem | null;
        if (!this.active) return;
        if (!item || item.Session !== this.session)
          return this.lose(
            item?.Session
              ? 'another session holds it now'
              : 'the lock was released (stack unlock --force, or the session was invalidated)',
          );
        index = item.ModifyIndex;
      } catch {
        if (this.active) await this.pause(1000);
      }
    }
  }

  /** A blocking query on the session: wakes when it is invalidated or destroyed. */
  private async sessionLoop(): Promise<void> {
    let index = 0;
    while (this.active) {
      try {
        const [res, item] = (await this.client.once('watch the lock session', (api) =>
          api.session.info({
            id: this.session,
            index: String(index),
            wait: `${this.times.waitMs / 1000}s`,
            timeout: this.times.waitMs + 5000,
            ctx: this.cancelSession,
          } as never),
        )) as unknown as [{ headers?: Record<string, string> }, unknown];
        if (!this.active) return;
        if (!item) return this.lose(`session ${this.session} was invalidated or destroyed`);
        // Consul's rules for blocking indexes: the same index after a wait that timed out, a lower one resets to 0.
        const next = Number(res?.headers?.['x-consul-index'] ?? 0);
        if (!(next > 0)) await this.pause(1000);
        index = next >= index ? next : 0;
      } catch {
        if (this.active) await this.pause(1000);
      }
    }
  }
}
