/**
 * One Consul client per command run, over the `consul` package. Every call goes through `call`, which turns a
 * transport failure into ConsulUnreachableError naming the address, so a user sees one clear message.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
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

const TRANSPORT =
  /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET|ENOTFOUND|EAI_AGAIN|timed out|socket hang up|certificate|EPROTO/i;

export class ConsulClient {
  readonly api: Consul;
  readonly address: string;
  /** Guards `write`: set by the state store when it takes the stack's lock (fence.ts). */
  private fence: Fence = UNFENCED;

  constructor(
    readonly config: ConsulConfig,
    readonly timeoutMs = 5000,
  ) {
    this.address = config.address;
    const secure = config.address.startsWith('https:');
    const agent = secure
      ? new https.Agent({
          keepAlive: true,
          ca: config.tls?.ca ? readFileSync(config.tls.ca) : undefined,
          cert: config.tls?.cert ? readFileSync(config.tls.cert) : undefined,
          key: config.tls?.key ? readFileSync(config.tls.key) : undefined,
        })
      : new http.Agent({ keepAlive: true });
    const options = {
      baseUrl: `${config.address}/v1`,
      timeout: timeoutMs,
      agent,
      defaults: config.token ? { token: config.token } : undefined,
    };
    this.api = new Consul(options);
  }

  /** Runs one API call; transport failures become ConsulUnreachableError, error statuses ConsulRequestError. */
  async call<T>(action: string, fn: (api: Consul) => Promise<T>): Promise<T> {
    try {
      return await fn(this.api);
    } catch (err) {
      const e = err as Error & { code?: string; statusCode?: number; response?: { statusCode?: number } };
      const status = e.statusCode ?? e.response?.statusCode;
      const message = e.message ?? String(err);
      const text = e.code && !message.includes(e.code) ? `${e.code} ${message}` : message;
      if (!status && TRANSPORT.test(text)) throw new ConsulUnreachableError(this.address, action, text);
      throw new ConsulRequestError(this.address, action, status, e.message ?? String(err));
    }
  }

  /**
   * A call that changes state others rely on (revision, catalog, overlay state): refused before it is sent once
   * the lock this run holds is lost. The lock's own calls (acquire, renew, release) use `call`.
   */
  async write<T>(action: string, fn: (api: Consul) => Promise<T>): Promise<T> {
    this.fence.check(`${action} in Consul at ${this.address}`);
    return this.call(action, fn);
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
    this.api.destroy();
  }
}
