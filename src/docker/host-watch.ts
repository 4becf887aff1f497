/**
 * `stack daemon` only: a host's lists (containers, networks, volumes, images) and its API version kept between runs
 * for as long as the host's own event stream (GET /events) says nothing changed — the shape of Swarm's manager, which
 * answers a no-op from what its agents told it. A run in the daemon then reads from a quiet host nothing but what has
 * no event (a registry's digests). A host where anything happened is read again: by the watch itself once the host has
 * been quiet for a second (as the run that first read it did), else by the next run.
 *
 * Why a kept list is never older than the host:
 * - The stream is asked `since` two seconds before the `Date` of the host's answer to a ping sent before it: the
 *   daemon replays what it logged since then and adds what comes after, under one lock (moby's events.go). Its own
 *   clock, not ours, so no skew between machines counts.
 * - A list is kept only if it was asked after the stream was open, and no event came between asking and keeping: any
 *   change the list does not show is logged after it was asked, so after `since`, so on the stream.
 * - The daemon keeps 256 events for the replay: a replay that lost some still brings the newest, and any event (even
 *   an exec's) within the replay's reach drops the lists. Later on, a healthcheck probe's exec events and Swarm's
 *   cluster objects (services, nodes, secrets, configs) change nothing a list shows and are passed over.
 * - When the stream ends (dockerd stopped or restarted, the socket gone) or fails, everything kept is dropped; the
 *   next run reads the host and opens a new stream.
 * - A write this process sends to the host drops its lists when it is sent and again when it is answered (the daemon
 *   itself never writes; a process that both writes and watches stays right all the same).
 *
 * Only for hosts on a unix socket: its end is the kernel's word that the stream is over. A TCP path that goes silent
 * would not end the stream, and an ssh:// host keeps no connection between runs (docs/security.md), so those hosts
 * are read each run as without the daemon. Nothing but `stack daemon` calls watchHosts(): a command in its own process
 * reads every host.
 */
import type { Readable } from 'node:stream';
import type { Endpoint } from '../stack/types.js';

/** Container actions that change nothing a list shows: an exec (each healthcheck probe is one) and reads. */
const QUIET_ACTION = /^(exec_create|exec_start|exec_die|exec_detach|top|resize|archive-path)(:|$)/;

/** Swarm's cluster objects: a manager logs their updates (a `docker stack deploy` updates every service), and no list shows them. */
const QUIET_TYPES = new Set(['service', 'node', 'secret', 'config']);

/** Seconds before the ping's Date (which is truncated to the second) that the stream is asked from. */
const SINCE_MARGIN_S = 2;

/** A host no run has used for this long has its stream closed. */
const IDLE_MS = 15 * 60_000;

/** After events, this long without another and the lists dropped are read again, ready for the next run. */
const REFILL_AFTER_MS = 1_000;

/** What the stream's lines hold that the watch reads. */
interface EventLine {
  Type?: string;
  Action?: string;
  status?: string;
  timeNano?: number;
  time?: number;
}

/** One host's stream and what is kept from it. */
export class HostWatch<V = unknown> {
  /** Bumped at every event that may change a list: a read asked before it is not kept. */
  private generation = 0;
  private state: 'idle' | 'opening' | 'open' | 'ended' = 'idle';
  /** The daemon's time (s) up to which events may be replayed ones: any of those drops the lists. */
  private replayUntilS = 0;
  private readonly kept = new Map<string, unknown>();
  /** How each list kept was read (a run's own call): asked again once the host is quiet after events. */
  private readonly readers = new Map<string, () => Promise<unknown>>();
  private version: V | undefined;
  private readonly controller = new AbortController();
  private idle: NodeJS.Timeout | undefined;
  private refillTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ended: () => void = () => undefined,
    private readonly refillAfterMs = REFILL_AFTER_MS,
  ) {}

  /** The API version kept, while the stream is open. */
  get knownVersion(): V | undefined {
    return this.state === 'open' ? this.version : undefined;
  }

  /** A copy of the list kept under `key`, while the stream is open. */
  take<T>(key: string): T | undefined {
    this.touch();
    if (this.state !== 'open' || !this.kept.has(key)) return undefined;
    return structuredClone(this.kept.get(key)) as T;
  }

  /** Taken before a read: the read is kept only if nothing happened on the host meanwhile. */
  ticket(): number | undefined {
    return this.state === 'open' ? this.generation : undefined;
  }

  /** Keeps a list read with `ticket`; `reread` reads it again the same way (see refill). */
  keep(key: string, ticket: number | undefined, value: unknown, reread?: () => Promise<unknown>): void {
    if (ticket === undefined || this.state !== 'open' || ticket !== this.generation) return;
    this.kept.set(key, structuredClone(value));
    if (reread) this.readers.set(key, reread);
  }

  /**
   * The host went quiet after events: the lists runs read are read again now, so that the next run finds them kept.
   * Each under its own ticket, as a run's read; a failure leaves it to the next run.
   */
  private async refill(): Promise<void> {
    await Promise.all(
      [...this.readers].map(async ([key, read]) => {
        const ticket = this.ticket();
        if (ticket === undefined) return;
        try {
          this.keep(key, ticket, await read());
        } catch {
          // the next run reads it
        }
      }),
    );
  }

  /** Events came: a refill once none has come for refillAfterMs. */
  private refillWhenQuiet(): void {
    clearTimeout(this.refillTimer);
    if (this.state !== 'open' || this.readers.size === 0) return;
    this.refillTimer = setTimeout(() => void this.refill(), this.refillAfterMs);
    this.refillTimer.unref();
  }

  /**
   * Opens the stream once, after a ping of this host answered with `dateHeader` and `version`. `events` is dockerode's
   * getEvents on a client of this host. Settles when the stream is open or failed to; never throws.
   */
  async open(
    events: (opts: Record<string, unknown>) => Promise<NodeJS.ReadableStream>,
    dateHeader: string | undefined,
    version: V,
  ): Promise<void> {
    const dateS = Date.parse(dateHeader ?? '') / 1000;
    if (this.state !== 'idle' || !Number.isFinite(dateS)) return;
    this.state = 'opening';
    const since = Math.floor(dateS) - SINCE_MARGIN_S;
    try {
      const stream = (await events({ since: String(since), abortSignal: this.controller.signal })) as Readable & {
        headers?: Record<string, string | string[] | undefined>;
      };
      // dockerd subscribes just after it sends these headers: a replayed event is no later than a second after their
      // Date (truncated to the second), so two seconds past it every event is a live one.
      const openedS = Date.parse(String(stream.headers?.date ?? '')) / 1000;
      this.replayUntilS = Math.floor(Number.isFinite(openedS) ? Math.max(openedS, dateS) : dateS) + SINCE_MARGIN_S;
      this.follow(stream);
      this.version = version;
      if (this.state === 'opening') this.state = 'open';
    } catch {
      this.end();
    }
    this.touch();
  }

  /** Reads the stream's lines (one JSON event each) as they come. */
  private follow(stream: Readable): void {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.event(line);
    });
    stream.on('end', () => this.end());
    stream.on('close', () => this.end());
    stream.on('error', () => this.end());
  }

  /**
   * A write through this process is on its way to the host or has just been answered: what is kept, or being read,
   * may not show it, and its event may not have come yet.
   */
  drop(): void {
    this.generation++;
    this.kept.clear();
  }

  /** One event: the lists are dropped unless it is an exec or a read past the replay's reach. */
  event(line: string): void {
    let e: EventLine = {};
    try {
      e = JSON.parse(line) as EventLine;
    } catch {
      // Not an event we can read: drop the lists all the same.
    }
    const action = typeof e.Action === 'string' ? e.Action : typeof e.status === 'string' ? e.status : '';
    const atS = typeof e.timeNano === 'number' ? e.timeNano / 1e9 : typeof e.time === 'number' ? e.time : 0;
    const quiet = QUIET_ACTION.test(action) || QUIET_TYPES.has(e.Type ?? '');
    if (quiet && atS > this.replayUntilS) return;
    this.drop();
    this.refillWhenQuiet();
  }

  /** The stream is over: nothing kept is trusted any more. */
  end(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.generation++;
    this.kept.clear();
    this.version = undefined;
    this.readers.clear();
    clearTimeout(this.idle);
    clearTimeout(this.refillTimer);
    this.controller.abort();
    this.ended();
  }

  private touch(): void {
    if (this.state === 'ended') return;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.end(), IDLE_MS);
    this.idle.unref();
  }
}

/** The daemon's watches, by endpoint; undefined while hosts are not watched (every process but `stack daemon`). */
let watches: Map<string, HostWatch> | undefined;

/** From now on, this process keeps hosts' lists between runs (`stack daemon`). */
export function watchHosts(): void {
  watches ??= new Map();
}

/** Ends every stream and keeps nothing more (the daemon stops). */
export function endHostWatches(): void {
  const all = watches;
  watches = undefined;
  for (const w of all?.values() ?? []) w.end();
}

/** The watch of an endpoint, while hosts are watched and it is a unix socket. */
export function hostWatchFor<V>(endpoint: Endpoint): HostWatch<V> | undefined {
  if (!watches || endpoint.kind !== 'unix') return undefined;
  const key = endpoint.path;
  const all = watches;
  let w = all.get(key);
  if (!w) {
    const made: HostWatch = new HostWatch(() => {
      if (all.get(key) === made) all.delete(key);
    });
    all.set(key, made);
    w = made;
  }
  return w as HostWatch<V>;
}

/** The key a list is kept under: what is listed and with which filters. */
export function listKey(kind: string, filters?: unknown): string {
  return `${kind} ${JSON.stringify(filters ?? {})}`;
}
