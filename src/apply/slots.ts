/**
 * Concurrency limits: a task holds a slot of its key (a host) and then a global slot. Shared by the DAG walk, the
 * compensations and the rollbacks, so that together they never exceed either limit. The per-key limit is one number
 * for every key, or a number per key (a host whose transport carries fewer calls at once).
 */
import PQueue from 'p-queue';

export class Slots {
  private readonly global: PQueue;
  private readonly perKey = new Map<string, PQueue>();

  constructor(
    private readonly perKeyLimit: number | ((key: string) => number),
    globalLimit: number,
  ) {
    this.global = new PQueue({ concurrency: Math.max(1, globalLimit) });
  }

  /** Runs `task` once a slot of `key` and a global slot are free. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.queue(key).add(() => this.global.add(task));
  }

  private queue(key: string): PQueue {
    let q = this.perKey.get(key);
    if (!q) {
      const limit = typeof this.perKeyLimit === 'number' ? this.perKeyLimit : this.perKeyLimit(key);
      this.perKey.set(key, (q = new PQueue({ concurrency: Math.max(1, limit) })));
    }
    return q;
  }
}
