/**
 * A generic DAG walker; it knows nothing of Docker. A node starts once every node of its `deps` is done and every
 * node of its `after` has settled (whatever the outcome). A node that fails or is skipped skips its dependents (by
 * `deps`) with the root cause; independent branches go on. Nodes with a slot key run under the per-key and the
 * global limits (Slots); nodes without one run at once. `gate` is asked when a node holds its slot, just before it
 * runs: a reason means it is skipped. Cancellation (`signal`) returns at once and ignores whatever settles later.
 *
 * The hooks are called in this order for a node: onDone / onFailed / onSkipped, then onSettled, then its
 * dependents are released or skipped (depth first).
 */
import { Slots } from './slots.js';

export type NodeStatus = 'done' | 'failed' | 'skipped';

/** Thrown by `run` (or returned by `gate`) when a node must not start: it is skipped with this root cause. */
export class NotStarted extends Error {
  constructor(
    readonly reason: string,
    readonly root: string,
  ) {
    super(reason);
  }
}

export interface WalkOptions<N, R> {
  id(n: N): string;
  /** Nodes that must be done first. */
  deps(n: N): readonly string[];
  /** Nodes that must have settled first, whatever their outcome. */
  after?(n: N): readonly string[];
  /** The limit key (a host) of a node that holds a slot; undefined: it runs without one. */
  slotOf?(n: N): string | undefined;
  slots?: Slots;
  gate?(n: N): NotStarted | undefined;
  run(n: N): Promise<R>;
  /** `ms` is counted from the moment the node was ready (queue time included). */
  onDone?(n: N, value: R, ms: number): void;
  onFailed?(n: N, error: unknown, ms: number): void;
  /** `reason` is absent when the node is skipped because `root` (a node id, or a NotStarted root) did not finish. */
  onSkipped?(n: N, root: string, reason: string | undefined): void;
  onSettled?(n: N, status: NodeStatus): void;
  /** Cancellation: the walk returns at once. */
  signal?: AbortSignal;
}

export interface WalkResult {
  status: Map<string, NodeStatus>;
  /** Skipped node → the root cause of its skip. */
  rootCause: Map<string, string>;
  cancelled: boolean;
}

/** Rejects a graph with a duplicate id, an unknown dependency or a cycle. */
export function checkGraph<N>(nodes: readonly N[], id: (n: N) => string, edges: (n: N) => readonly string[]): void {
  const byId = new Map<string, N>();
  for (const n of nodes) {
    if (byId.has(id(n))) throw new Error(`duplicate node ${id(n)}`);
    byId.set(id(n), n);
  }
  for (const n of nodes)
    for (const d of edges(n)) if (!byId.has(d)) throw new Error(`${id(n)} depends on unknown node ${d}`);
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (start: string) => {
    const stack: [string, number][] = [[start, 0]];
    state.set(start, 'visiting');
    while (stack.length) {
      const top = stack[stack.length - 1];
      const next = edges(byId.get(top[0])!)[top[1]++];
      if (next === undefined) {
        state.set(top[0], 'done');
        stack.pop();
      } else if (state.get(next) === 'visiting') throw new Error(`dependency cycle through ${next}`);
      else if (!state.has(next)) {
        state.set(next, 'visiting');
        stack.push([next, 0]);
      }
    }
  };
  for (const n of nodes) if (!state.has(id(n))) visit(id(n));
}

export function walk<N, R>(nodes: readonly N[], options: WalkOptions<N, R>): Promise<WalkResult> {
  try {
    checkGraph(
      nodes,
      (n) => options.id(n),
      (n) => [...options.deps(n), ...(options.after?.(n) ?? [])],
    );
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  return new Walk(nodes, options).start();
}

class Walk<N, R> {
  private readonly status = new Map<string, NodeStatus>();
  private readonly rootCause = new Map<string, string>();
  private readonly dependents = new Map<string, N[]>();
  private readonly afterDependents = new Map<string, N[]>();
  private readonly waiting = new Map<string, number>();
  private readonly slots: Slots;
  private remaining: number;
  private ended = false;
  private resolve: (r: WalkResult) => void = () => undefined;

  constructor(
    private readonly nodes: readonly N[],
    private readonly o: WalkOptions<N, R>,
  ) {
    this.remaining = nodes.length;
    this.slots = o.slots ?? new Slots(Infinity, Infinity);
    for (const n of nodes) {
      const after = o.after?.(n) ?? [];
      this.waiting.set(o.id(n), o.deps(n).length + after.length);
      for (const d of o.deps(n)) this.dependents.set(d, [...(this.dependents.get(d) ?? []), n]);
      for (const a of after) this.afterDependents.set(a, [...(this.afterDependents.get(a) ?? []), n]);
    }
  }

  start(): Promise<WalkResult> {
    const done = new Promise<WalkResult>((r) => (this.resolve = r));
    const signal = this.o.signal;
    if (signal?.aborted || this.remaining === 0) this.end(!!signal?.aborted);
    else {
      signal?.addEventListener('abort', () => this.end(true), { once: true });
      for (const n of this.nodes) if (this.waiting.get(this.o.id(n)) === 0) this.dispatch(n);
    }
    return done;
  }

  private end(cancelled: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.resolve({ status: this.status, rootCause: this.rootCause, cancelled });
  }

  private dispatch(n: N): void {
    const t0 = Date.now();
    const key = this.o.slotOf?.(n);
    const task = key === undefined ? this.gated(n) : this.slots.run(key, () => this.gated(n));
    task.then(
      (value) => {
        if (this.ended) return;
        this.o.onDone?.(n, value, Date.now() - t0);
        this.settle(n, 'done');
      },
      (err: unknown) => {
        if (this.ended) return;
        if (err instanceof NotStarted) return this.skip(n, err.root, err.reason);
        this.o.onFailed?.(n, err, Date.now() - t0);
        this.settle(n, 'failed');
      },
    );
  }

  private async gated(n: N): Promise<R> {
    const no = this.o.gate?.(n);
    if (no) throw no;
    return this.o.run(n);
  }

  private skip(n: N, root: string, reason: string | undefined): void {
    this.o.onSkipped?.(n, root, reason);
    this.settle(n, 'skipped', root);
  }

  private settle(n: N, s: NodeStatus, root?: string): void {
    const id = this.o.id(n);
    if (this.ended || this.status.has(id)) return;
    this.status.set(id, s);
    if (s === 'skipped' && root) this.rootCause.set(id, root);
    this.remaining--;
    this.o.onSettled?.(n, s);
    for (const next of this.afterDependents.get(id) ?? []) this.release(next);
    for (const next of this.dependents.get(id) ?? []) {
      if (this.status.has(this.o.id(next))) continue;
      if (s !== 'done') {
        const cause = root ?? id;
        this.rootCause.set(this.o.id(next), cause);
        this.skip(next, cause, undefined);
      } else this.release(next);
    }
    if (this.remaining === 0) this.end(false);
  }

  private release(n: N): void {
    const id = this.o.id(n);
    if (this.status.has(id)) return;
    const left = this.waiting.get(id)! - 1;
    this.waiting.set(id, left);
    if (left === 0) this.dispatch(n);
  }
}
