/**
 * Faults around Engine calls, as pure functions: how long a call may take, which errors are worth
 * another try (and how long to wait before it), and which errors mean the daemon cannot be reached
 * at all. The HostClient applies them; the executor uses `unreachable` to stop sending work to a
 * host that is gone. Retrying a write is safe because every write is idempotent or its "already
 * done" answer counts as success (see client.ts).
 */
import { FencedError } from '../fence.js';

/** How an error from one Engine call is treated. */
export type FaultClass =
  /** Worth another try: connection reset, broken pipe, time-outs, 5xx that are not a definite answer. */
  | 'transient'
  /** The daemon cannot be reached at all (refused, no socket, no route) or is shutting down: retried briefly, then the host is lost. */
  | 'unreachable'
  /** A definite answer (4xx, a 500 that says what is wrong): never retried. */
  | 'definite';

/** The kind of call, for its time limit. */
export type CallKind = 'read' | 'write' | 'pull' | 'stop';

export interface FaultSettings {
  /** Time limit of reads (list, inspect, ping, digest), ms. */
  readTimeoutMs: number;
  /** Time limit of writes (create, start, remove, …), ms. */
  writeTimeoutMs: number;
  /** Time limit of an image pull (the whole download), ms. */
  pullTimeoutMs: number;
  /** Added to a stop's grace period (the daemon waits that long before it kills), ms. */
  stopExtraMs: number;
  /** Further attempts after the first for transient errors. */
  retries: number;
  /** Further attempts after the first when the daemon cannot be reached (a restart takes a moment). */
  unreachableRetries: number;
  /** First back-off delay; it doubles each attempt up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_FAULT_SETTINGS: FaultSettings = {
  readTimeoutMs: 30_000,
  writeTimeoutMs: 60_000,
  pullTimeoutMs: 600_000,
  stopExtraMs: 30_000,
  retries: 3,
  unreachableRetries: 2,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
};

/** The error a call gets when it runs past its time limit. */
export class CallTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${Math.round(timeoutMs / 100) / 10}s`);
    this.name = 'CallTimeoutError';
  }
}

/** Node's socket error codes that mean: could not reach the daemon at all. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EACCES',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** Node's socket error codes that mean: the call broke on the way, it may work next time. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);
/** Messages (from Node or relayed by dockerd from a registry) of failures on the way. */
const TRANSIENT_MESSAGE =
  /socket hang up|ECONNRESET|EPIPE|ETIMEDOUT|connection reset by peer|broken pipe|i\/o timeout|TLS handshake timeout|network is unreachable|no route to host|connection refused|context deadline exceeded|unexpected EOF|Client\.Timeout exceeded|502 Bad Gateway|503 Service Unavailable|504 Gateway Time-?out|toomanyrequests|temporary failure/i;
/** 500s that are a definite answer: the daemon understood and said no; trying again cannot help. */
const DEFINITE_500 =
  /already in use|already allocated|address already in use|already exists|OCI runtime|executable file not found|no such|not found|manifest unknown|invalid|unauthorized|denied|permission denied|is not running|is paused|is restarting|conflict|not supported|cannot be used|requires|bad parameter/i;

/**
 * 500s of a daemon that is shutting down: it has closed its local store (a bolt file whose path is now empty),
 * so this call and every later one fail until it is gone. Treated as unreachable: the host is being lost.
 */
const SHUTTING_DOWN = /: open : no such file or directory/;

export interface ErrorShape {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string } | null;
}

/** The daemon's message when there is one (dockerode puts it in json.message), else the error's. */
export function errorMessage(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as ErrorShape;
    const m = e.json && typeof e.json === 'object' ? e.json.message : undefined;
    const text: unknown = m ?? e.message ?? err;
    return String(text).trim();
  }
  return String(err);
}

/** Classifies an error from one Engine call (pure). */
export function classify(err: unknown): FaultClass {
  if (err instanceof FencedError) return 'definite';
  const e = (err && typeof err === 'object' ? err : {}) as ErrorShape;
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const message = errorMessage(err);
  if (status !== undefined) {
    if (status === 502 || status === 503 || status === 504) return 'transient';
    if (status >= 500 && SHUTTING_DOWN.test(message)) return 'unreachable';
    if (status >= 500) return DEFINITE_500.test(message) && !TRANSIENT_MESSAGE.test(message) ? 'definite' : 'transient';
    return 'definite';
  }
  if (e.code && UNREACHABLE_CODES.has(e.code)) return 'unreachable';
  if (e.code && TRANSIENT_CODES.has(e.code)) return 'transient';
  if (err instanceof CallTimeoutError) return 'transient';
  return TRANSIENT_MESSAGE.test(message) ? 'transient' : 'definite';
}

/** Delay before attempt `attempt` (1 = the first retry): base · 2^(attempt-1), capped. */
export function backoffMs(attempt: number, settings: Pick<FaultSettings, 'baseDelayMs' | 'maxDelayMs'>): number {
  return Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

/** How many further attempts an error of this class gets. */
export function retriesFor(cls: FaultClass, settings: Pick<FaultSettings, 'retries' | 'unreachableRetries'>): number {
  return cls === 'transient' ? settings.retries : cls === 'unreachable' ? settings.unreachableRetries : 0;
}

/** The time limit of one call. */
export function timeoutFor(kind: CallKind, settings: FaultSettings, stopGraceSeconds?: number): number {
  switch (kind) {
    case 'read':
      return settings.readTimeoutMs;
    case 'write':
      return settings.writeTimeoutMs;
    case 'pull':
      return settings.pullTimeoutMs;
    case 'stop':
      return (stopGraceSeconds ?? 10) * 1000 + settings.stopExtraMs;
  }
}

/** Runs fn with a time limit: fn gets an AbortSignal that fires at the limit; the call rejects with CallTimeoutError. */
export async function withTimeout<T>(timeoutMs: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(controller.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const err = new CallTimeoutError(timeoutMs);
          reject(err);
          controller.abort(err);
        }, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `attempt` until it succeeds, fails with a definite error, or runs out of retries for its
 * class. `onRetry` hears about each retry (for debug output); `sleep` is injected for tests.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  settings: Pick<FaultSettings, 'retries' | 'unreachableRetries' | 'baseDelayMs' | 'maxDelayMs'>,
  hooks: {
    sleep?: (ms: number) => Promise<void>;
    onRetry?: (n: number, err: unknown, cls: FaultClass, delayMs: number) => void;
    signal?: AbortSignal;
  } = {},
): Promise<T> {
  const sleep = hooks.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      const cls = classify(err);
      if (n >= retriesFor(cls, settings) || hooks.signal?.aborted)
        throw Object.assign(err as Error, { faultClass: cls, attempts: n + 1 }); // what was thrown, tagged
      const delay = backoffMs(n + 1, settings);
      hooks.onRetry?.(n + 1, err, cls, delay);
      await sleep(delay);
    }
  }
}
