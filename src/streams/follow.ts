/**
 * `stack logs --follow`: first the history, as a dump writes it (sorted by the daemons' timestamps), then every
 * matching replica followed live. Live lines wait in a reorder window (`windowMs`, default 300 ms) and leave it in
 * timestamp order, so replicas on several hosts interleave by time, not by arrival; a line that arrives later than
 * the window behind a newer one is written late rather than held back.
 *
 * Every `pollMs` each host's list is read again: a replica that appears (a rollout's new container) joins from its
 * first line, one whose stream ends (stopped, removed) leaves; a host whose list fails is named once, and when it
 * answers again it is named once more and its replicas are read again from just after the last line seen of each
 * (the Engine's `since`, inclusive; lines with a key already written are dropped).
 */
import type { HostClient } from '../docker/client.js';
import { openLogs, type LogsQuery } from '../docker/container-io.js';
import type { ObservedContainer } from '../observe/types.js';
import { byTime, sinceOf, type LogLine } from './log-line.js';
import type { LogsOutput, LogsScope } from './logs-output.js';
import { dumpLogs, refOf } from './dump.js';
import { listReplicas, matches } from './replicas.js';
import { readReplicaLog } from './replica-log.js';

export interface FollowOptions {
  windowMs?: number;
  pollMs?: number;
  /** Ends the follow (Ctrl-C); the window is flushed first. */
  stop: AbortSignal;
}

interface Tracked {
  container: ObservedContainer;
  lastKey?: string;
  attached: boolean;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class Follower {
  private readonly tracked = new Map<string, Tracked>();
  private readonly down = new Set<string>();
  /** Hosts whose list is still being read: a slow host is not asked again meanwhile. */
  private readonly polling = new Set<string>();
  private readonly window: { line: LogLine; at: number }[] = [];
  private readonly streams = new AbortController();
  private readonly windowMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly clients: ReadonlyMap<string, HostClient>,
    private readonly scope: LogsScope,
    private readonly query: Omit<LogsQuery, 'follow'>,
    private readonly out: LogsOutput,
    private readonly options: FollowOptions,
  ) {
    this.windowMs = options.windowMs ?? 300;
    this.pollMs = options.pollMs ?? 1000;
  }

  /** Writes the history, then follows until `stop` fires. */
  async run(): Promise<void> {
    const history = await dumpLogs(this.clients, this.scope, this.query, this.out);
    for (const host of history.unreachable) this.down.add(host);
    for (const c of history.replicas)
      this.tracked.set(c.id, { container: c, lastKey: history.lastKeys.get(c.id), attached: false });
    // Replicas read in the history are followed from their last line (or, with none, under the same query).
    for (const t of this.tracked.values()) if (t.container.state === 'running') this.attach(t, true);
    const flush = setInterval(() => this.drain(false), Math.max(20, this.windowMs / 3));
    const poll = setInterval(() => void this.pollAll(), this.pollMs);
    await new Promise<void>((resolve) => {
      if (this.options.stop.aborted) return resolve();
      this.options.stop.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(flush);
    clearInterval(poll);
    this.streams.abort();
    this.drain(true);
  }

  private async pollAll(): Promise<void> {
    await Promise.all(
      [...this.clients.values()]
        .filter((client) => !this.polling.has(client.name))
        .map(async (client) => {
          this.polling.add(client.name);
          await this.poll(client).finally(() => this.polling.delete(client.name));
        }),
    );
  }

  private async poll(client: HostClient): Promise<void> {
    let replicas: ObservedContainer[];
    try {
      replicas = (await listReplicas(client, this.scope.stack, this.scope.owner)).filter((c) =>
        matches(c, this.scope.targets),
      );
    } catch (err) {
      if (this.down.has(client.name) || this.options.stop.aborted) return;
      this.down.add(client.name);
      return this.out.notice({ kind: 'unreachable', host: client.name, message: messageOf(err) });
    }
    if (this.down.delete(client.name)) this.out.notice({ kind: 'reachable', host: client.name });
    for (const c of replicas) {
      const known = this.tracked.get(c.id);
      const t = known ?? { container: c, attached: false };
      t.container = c;
      if (!known) this.tracked.set(c.id, t);
      if (!t.attached && c.state === 'running') this.attach(t, false);
    }
  }

  /** Follows one replica: from just after its last line seen, from the start for a new one, or as the history asked. */
  private attach(t: Tracked, fromHistory: boolean): void {
    const client = this.clients.get(t.container.host);
    if (!client || this.options.stop.aborted) return;
    t.attached = true;
    const query: LogsQuery = t.lastKey
      ? { follow: true, since: sinceOf(t.lastKey), ...(this.query.until ? { until: this.query.until } : {}) }
      : fromHistory
        ? { ...this.query, follow: true }
        : {
            follow: true,
            ...(this.query.since ? { since: this.query.since } : {}),
            ...(this.query.until ? { until: this.query.until } : {}),
          };
    void openLogs(client, t.container.id, query, this.streams.signal)
      .then((stream) => readReplicaLog(stream, refOf(t.container), (line) => this.take(t, line)))
      .catch(() => undefined) // a broken stream: the next poll names the host if it is gone, and attaches again
      .finally(() => (t.attached = false));
  }

  private take(t: Tracked, line: LogLine): void {
    if (t.lastKey !== undefined && line.key <= t.lastKey) return; // already written (since is inclusive)
    t.lastKey = line.key;
    this.window.push({ line, at: Date.now() });
  }

  /** Writes, in timestamp order, the lines that have waited the window (all of them when `all`). */
  private drain(all: boolean): void {
    const due = Date.now() - this.windowMs;
    const ready = all ? this.window.splice(0) : takeWhere(this.window, (w) => w.at <= due);
    for (const line of byTime(ready.map((w) => w.line))) this.out.line(line);
  }
}

function takeWhere<T>(items: T[], pick: (item: T) => boolean): T[] {
  const taken = items.filter(pick);
  const kept = items.filter((i) => !pick(i));
  items.splice(0, items.length, ...kept);
  return taken;
}
