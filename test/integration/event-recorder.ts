/**
 * Every host's Engine events, streamed live into memory from when the recorder starts. A daemon keeps only
 * its last 256 events for `since` queries, too few when test files run side by side on the same hosts; a
 * test that reads events of its own window after the fact reads them from here instead.
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { EngineEvent } from './reconcile-helpers.js';

interface HostStream {
  host: string;
  events: EngineEvent[];
}

export class HostEventRecorder {
  /** When the streams were all connected (ms): events from then on are complete. */
  startedAt = Infinity;
  /** A stream ended (its daemon restarted): the recorder no longer has every event. */
  incomplete = false;
  private readonly streams: HostStream[] = [];
  private readonly ready: Promise<void>;

  constructor(private readonly hosts: { name: string; docker: Docker }[]) {
    this.ready = Promise.all(hosts.map((h) => this.connect(h))).then(() => {
      this.startedAt = Date.now();
    });
    this.ready.catch(() => undefined);
  }

  private async connect(h: { name: string; docker: Docker }): Promise<void> {
    const stream = (await h.docker.getEvents({})) as NodeJS.ReadableStream & { socket?: { unref(): void } };
    stream.socket?.unref();
    const s: HostStream = { host: h.name, events: [] };
    this.streams.push(s);
    let buffered = '';
    // A daemon restarted by a test (faults, heal) ends its stream: from then on the recorder is incomplete,
    // and hostEvents asks the daemons instead.
    const lost = () => {
      this.incomplete = true;
    };
    stream.on('error', lost);
    stream.on('end', lost);
    stream.on('data', (d: Buffer) => {
      buffered += d.toString();
      for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
        const line = buffered.slice(0, i).trim();
        buffered = buffered.slice(i + 1);
        if (line) s.events.push(JSON.parse(line) as EngineEvent);
      }
    });
  }

  /** Started before `since` (ms)? Then `events` has everything from `since` on. */
  async covers(since: number): Promise<boolean> {
    await this.ready.catch(() => undefined);
    return !this.incomplete && this.startedAt <= since;
  }

  /**
   * The events of every host from `since` (ms) to now. First makes each daemon emit a marker event (a
   * volume created and removed) and waits for it in the stream, so nothing the daemon sent before is missing.
   */
  async events(since: number, filters: Record<string, string[]> = {}): Promise<{ host: string; event: EngineEvent }[]> {
    const marker = `stack-test-marker-${randomBytes(4).toString('hex')}`;
    await Promise.all(
      this.hosts.map(async (h) => {
        await h.docker.createVolume({ Name: marker });
        await h.docker.getVolume(marker).remove();
      }),
    );
    const deadline = Date.now() + 30_000;
    while (
      !this.streams.every((s) =>
        s.events.some((e) => e.Type === 'volume' && e.Action === 'destroy' && e.Actor?.ID === marker),
      )
    ) {
      if (this.incomplete || Date.now() > deadline)
        throw new Error("the hosts' event streams did not catch up (a daemon restarted?)");
      await new Promise((r) => setTimeout(r, 20));
    }
    const match = (e: EngineEvent) =>
      Number(e.timeNano) >= since * 1e6 &&
      (!filters.type || filters.type.includes(e.Type)) &&
      (filters.label ?? []).every((l) => {
        const [k, v] = l.split('=');
        return v === undefined ? k in (e.Actor?.Attributes ?? {}) : e.Actor?.Attributes?.[k] === v;
      });
    return this.streams.flatMap((s) =>
      s.events.filter((e) => match(e) && e.Actor?.ID !== marker).map((event) => ({ host: s.host, event })),
    );
  }
}
