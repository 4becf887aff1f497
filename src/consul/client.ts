/**
 * One Consul client per command run, over the `consul` package. Every call goes through `call`, which turns a
 * transport failure into ConsulUnreachableError naming the address, so a user sees one clear message.
 * Any server of a cluster will do: followers forward to the leader. When several servers were named, a server that
 * cannot be reached (refused, unreachable, reset) or has no leader is left for the next one, in the order given,
 * for the rest of the run. While the cluster has no leader (an election after the leader died: a few seconds)
 * Consul holds requests and then answers 500 "No cluster leader"; `call` retries those answers, and requests that
 * timed out, with back-off for up to `leaderWaitMs`, then says the cluster has no leader. With one server named, a
 * refused connection is not retried: that server is down (name another, or several).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import Consul from 'consul';
import type { ConsulConfig } from './config.js';
import { UNFENCED, type Fence } from '../fence.js';

/** Consul could not be reached (connection refused, timeout, DNS, TLS). */
export class ConsulUnreachableError extends Error {
  constructor(
    readonly address: string,
    readonly action: string,
    cause: string,
  ) {
    super(`Consul at ${address} is unreachable (${action}: ${cause})`);
    this.name = 'ConsulUnreachableError';
  }
}

/** Consul answered with an error status. */
export class ConsulRequestError extends Error {
  constructor(
    readonly address: string,
    readonly action: string,
    readonly statusCode: number | undefined,
    cause: string,
  ) {
    super(`Consul at ${address}: ${action} failed${statusCode ? ` (HTTP ${statusCode})` : ''}: ${cause}`);
    this.name = 'ConsulRequestError';
  }
}

/**
 * Consul's answers (HTTP 500) while no leader can take the request: the server still forwards to a leader that died
 * (rpc error getting client), or an election is under way (Raft leader not found, No cluster leader), or the cluster
 * has lost quorum. A write that failed so may or may not have been committed: stack's writes are idempotent or
 * compare-and-set, so retrying one is safe (a CAS already applied fails as a conflict, and a re-run converges).
 */
const LEADERLESS =
  /No cluster leader|Raft leader not found|leadership lost|timed out enqueuing operation|rpc error (getting client|making call)/i;

export interface ConsulClientTimes {
  /** Timeout of one request. */
  timeoutMs: number;
  /** How long a call waits for a cluster leader (retrying with back-off) before it fails. */
  leaderWaitMs: number;
}

export const DEFAULT_CONSUL_TIMES: ConsulClientTimes = { timeoutMs: 5000, leaderWaitMs: 20_000 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const isLeaderless = (err: unknown): err is ConsulRequestError =>
  err instanceof ConsulRequestError && err.statusCode === 500 && LEADERLESS.test(err.message);

/** A request the server took but did not answer in time: a server without a leader holds requests (~7 s). */
const isHeld = (err: unknown): err is ConsulUnreachableError =>
  err instanceof ConsulUnreachableError && /request timed out/i.test(err.message);

/**
 * The `consul` package's message names only the status when Consul's text is long ("internal server error") or a
 * transaction was rolled back ("conflict"): add that text (printable characters, at most 300), which says why (e.g.
 * no cluster leader, or the operation that failed).
 */
function withBody(message: string, body: unknown): string {
  const text = bodyText(body)
    .replace(/[^\x20-\x7e]+/g, ' ')
    .trim()
    .slice(0, 300);
  return text && !message.includes(text) ? `${message}: ${text}` : message;
}

/** An answer's text; for a transaction rolled back (409), why each operation failed (Consul's `Errors`). */
function bodyText(body: unknown): string {
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (typeof body === 'string') return body;
  const errors = (body as { Errors?: unknown } | null)?.Errors;
  if (!Array.isArray(errors)) return '';
  return errors
    .map((e: { OpIndex?: unknown; What?: unknown }) => `operation ${Number(e?.OpIndex)}: ${String(e?.What)}`)
    .join('; ');
}

const TRANSPORT =
  /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET|ENOTFOUND|EAI_AGAIN|timed out|socket hang up|certificate|EPROTO/i;

/** A server's failure that the next server named may not share: it is down, unreachable, or has no leader. */
const isServerDown = (err: unknown): boolean =>
  (err instanceof ConsulUnreachableError && !/request timed out/i.test(err.message)) || isLeaderless(err);

export class ConsulClient {
  /** The servers named, in order: the configured address first, then its fallbacks. */
  readonly servers: string[];
  /** Which of `servers` the calls go to: moves on when one is down, and stays there. */
  private current = 0;
  private readonly apis: Consul[];
  /** Guards `write`: set by the state store when it takes the stack's lock (fence.ts). */
  private fence: Fence = UNFENCED;

  constructor(
    readonly config: ConsulConfig,
    readonly times: ConsulClientTimes = DEFAULT_CONSUL_TIMES,
  ) {
    this.servers = [config.address, ...(config.fallbacks ?? [])];
    this.apis = this.servers.map((address) => apiFor(address, config, times));
  }

  /** The server in use (messages name it). */
  get address(): string {
    return this.servers[this.current];
  }

  /** The API of the server in use. */
  get api(): Consul {
    return this.apis[this.current];
  }

  /**
   * Runs one API call; transport failures become ConsulUnreachableError, error statuses ConsulRequestError. While
   * the cluster has no leader the call is retried (back-off 0.2 s doubling to 2 s) for up to leaderWaitMs;
   * `beforeRetry` runs before each retry (a write asks its fence again).
   */
  async call<T>(action: string, fn: (api: Consul) => Promise<T>, beforeRetry?: () => void): Promise<T> {
    const deadline = performance.now() + this.times.leaderWaitMs;
    for (let pause = 200; ; pause = Math.min(pause * 2, 2000)) {
      try {
        return await this.once(action, fn);
      } catch (err) {
        if (!isLeaderless(err) && !isHeld(err)) throw err;
        if (performance.now() + pause > deadline) throw this.leaderless(action, err);
        if (isHeld(err) && this.servers.length > 1) this.moveOn();
        await sleep(pause);
        beforeRetry?.();
      }
    }
  }

  private leaderless(action: string, err: ConsulRequestError | ConsulUnreachableError): Error {
    const why = `the Consul cluster has had no leader for ${this.times.leaderWaitMs / 1000}s (${err.message}); are a majority of its servers up?`;
    return err instanceof ConsulRequestError
      ? new ConsulRequestError(this.address, action, err.statusCode, why)
      : new ConsulUnreachableError(this.address, action, why);
  }

  /**
   * One API call, no retry on the same server: for loops that retry on their own terms (the lock's renewal and
   * watches). When several servers were named and this one is down, the next ones are asked in turn.
   */
  async once<T>(action: string, fn: (api: Consul) => Promise<T>): Promise<T> {
    for (let tried = 1; ; tried++) {
      try {
        return await this.onServer(action, fn);
      } catch (err) {
        if (!isServerDown(err) || this.servers.length === 1) throw err;
        if (tried >= this.servers.length) throw this.noneAnswered(action, err);
        this.moveOn();
      }
    }
  }

  /** The next server named, for this call and the rest of the run. */
  private moveOn(): void {
    this.current = (this.current + 1) % this.servers.length;
  }

  /** Every server named was down: one message naming them all (a cluster without a leader is said as such). */
  private noneAnswered(action: string, err: unknown): unknown {
    if (!(err instanceof ConsulUnreachableError)) return err;
    const why = err.message.replace(/^Consul at \S+ is unreachable \(/, '').replace(/\)$/, '');
    return new ConsulUnreachableError(this.servers.join(', '), action, `no server answered; the last: ${why}`);
  }

  /** One API call on the server in use. */
  private async onServer<T>(action: string, fn: (api: Consul) => Promise<T>): Promise<T> {
    try {
      return await fn(this.api);
    } catch (err) {
      const e = err as Error & {
        code?: string;
        statusCode?: number;
        response?: { statusCode?: number; body?: unknown };
      };
      const status = e.statusCode ?? e.response?.statusCode;
      const message = e.message ?? String(err);
      const text = e.code && !message.includes(e.code) ? `${e.code} ${message}` : message;
      if (!status && TRANSPORT.test(text)) throw new ConsulUnreachableError(this.address, action, text);
      throw new ConsulRequestError(this.address, action, status, withBody(message, e.response?.body));
    }
  }

  /**
   * A call that changes state others rely on (revision, catalog, overlay state): refused before it is sent once
   * the lock this run holds is lost. The lock's own calls (acquire, renew, release) use `call`.
   */
  async write<T>(action: string, fn: (api: Consul) => Promise<T>): Promise<T> {
    const ask = () => this.fence.check(`${action} in Consul at ${this.address}`);
    ask();
    return this.call(action, fn, ask);
  }

  /** From now on, `write` asks `fence` first (the state store, once it holds the lock). */
  fenceWith(fence: Fence): this {
    this.fence = fence;
    return this;
  }

  /** HTTP status of a failed call, if Consul answered. */
  static statusOf(err: unknown): number | undefined {
    return err instanceof ConsulRequestError ? err.statusCode : undefined;
  }

  close(): void {
    for (const api of this.apis) api.destroy();
  }
}

/** The `consul` package's client for one server: same token, TLS files and timeout for every server. */
function apiFor(address: string, config: ConsulConfig, times: ConsulClientTimes): Consul {
  const agent = address.startsWith('https:')
    ? new https.Agent({
        keepAlive: true,
        ca: config.tls?.ca ? readFileSync(config.tls.ca) : undefined,
        cert: config.tls?.cert ? readFileSync(config.tls.cert) : undefined,
        key: config.tls?.key ? readFileSync(config.tls.key) : undefined,
      })
    : new http.Agent({ keepAlive: true });
  // baseUrl is the package's option (its .d.ts lists host/port only).
  const options = {
    baseUrl: `${address}/v1`,
    timeout: times.timeoutMs,
    agent,
    defaults: config.token ? { token: config.token } : undefined,
  };
  return new Consul(options);
}
