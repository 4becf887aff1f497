/**
 * The Engine's event stream (GET /events) narrowed to one container: a wake-up signal for waits. A
 * wait (healthy, running, exited) inspects the container, and instead of sleeping a fixed interval
 * before the next inspect it sleeps until the daemon reports something about that container
 * (`health_status`, `die`, `restart`, …) or a fallback interval passes, whichever is first. A
 * healthcheck turning healthy is then seen within one inspect of the daemon noticing it.
 *
 * `open` resolves once the response headers came. dockerd flushes them just before it subscribes the
 * caller (moby's getEvents): a change in that instant is seen at the fallback interval, not at once.
 * The event bodies are not parsed; any event means "inspect again". Exec events (one per healthcheck
 * probe) are filtered out: only state changes wake a wait.
 */
import type { Readable } from 'node:stream';

/** The container events that can change a wait's verdict. */
export const WAKE_EVENTS = [
  'health_status',
  'start',
  'die',
  'oom',
  'kill',
  'stop',
  'restart',
  'pause',
  'unpause',
  'destroy',
];

export class ContainerEvents {
  private waiter: (() => void) | undefined;
  /** An event came while nobody waited: the next `next` returns at once. */
  private pending = false;
  private closed = false;

  private constructor(
    private readonly stream: Readable,
    private readonly controller: AbortController,
  ) {
    stream.on('data', () => this.wake());
    // Ended or broken: waits fall back to their interval (never an error for the wait itself).
    stream.on('error', () => undefined);
  }

  /** Opens the stream; `events` is dockerode's getEvents; `limit` aborts the opening (the call's time limit). */
  static async open(
    events: (opts: Record<string, unknown>) => Promise<NodeJS.ReadableStream>,
    container: string,
    limit?: AbortSignal,
  ): Promise<ContainerEvents> {
    const controller = new AbortController();
    const abortSignal = limit ? AbortSignal.any([limit, controller.signal]) : controller.signal;
    const stream = (await events({
      filters: { type: ['container'], container: [container], event: WAKE_EVENTS },
      abortSignal,
    })) as Readable;
    return new ContainerEvents(stream, controller);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    if (w) w();
    else this.pending = true;
  }

  /** Resolves at the next event about the container, or after `ms`. */
  next(ms: number): Promise<void> {
    if (this.pending || this.closed) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve();
      }, ms);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.controller.abort();
    this.stream.destroy();
    this.wake();
  }
}
