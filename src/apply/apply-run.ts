/**
 * One apply: the plan's operations walked by the DAG walker (dag-walker.ts), with the policies plugged in — lost
 * hosts and interruptions as the gate, replace groups compensated when they fail (compensation.ts), rolling updates
 * followed and rolled back (rollout.ts) — and the events sent to the reporter. Decides nothing the plan did not.
 */
import type { HostClient } from '../docker/client.js';
import type { Operation, Plan } from '../plan/types.js';
import { NotStarted, walk, type NodeStatus, type WalkResult } from './dag-walker.js';
import { Compensations } from './compensation.js';
import { errorText, ref, type ApplyEvent } from './events.js';
import { LostHosts } from './lost-hosts.js';
import { interruptionRefusal } from './interruption.js';
import { runOperation } from './operations/index.js';
import type { ApplyOptions } from './options.js';
import type { ApplyResult, OpStatus } from './result.js';
import { RolloutTracker, type RolloutHooks, type RolloutOutcome } from './rollout.js';
import { Slots } from './slots.js';
import { summarize } from './summary.js';

export class ApplyRun {
  private readonly slots: Slots;
  private readonly lost = new LostHosts();
  private readonly rollouts: RolloutTracker;
  private readonly compensations: Compensations;
  private readonly byId: Map<string, Operation>;
  /** Each settled operation's status (live: compensations and rollouts read it). */
  private readonly status: Record<string, OpStatus> = {};
  private readonly failures: { op: string; error: string }[] = [];
  /** Operations that began their Engine call (told apart from skipped ones at a hard stop). */
  private readonly started = new Set<string>();
  /** Per replace group, its operations' calls not settled yet (its compensation waits for them). */
  private readonly groupCalls = new Map<string, Set<Promise<unknown>>>();
  /** Skipped operation → the root cause of its skip (the root a compensation it starts names). */
  private readonly skipRoots = new Map<string, string>();
  private readonly rolloutOutcomes: Record<string, RolloutOutcome> = {};
  /** Compensations and rollout endings, awaited before the summary (unless a hard stop comes first). */
  private readonly background: Promise<void>[] = [];
  private readonly hardStop: Promise<void>;

  constructor(
    private readonly plan: Plan,
    private readonly options: ApplyOptions,
  ) {
    // A host's slots: the stack's limit, or fewer when its transport carries fewer calls at once (ssh://).
    this.slots = new Slots(
      (host) => Math.min(options.hostConcurrency, options.clients.get(host)?.maxInFlight ?? Infinity),
      options.globalConcurrency,
    );
    this.rollouts = new RolloutTracker(plan);
    this.byId = new Map(plan.operations.map((op) => [op.id, op]));
    this.compensations = new Compensations({
      plan,
      status: (id) => this.status[id],
      lost: this.lost,
      hardSignal: options.hardSignal,
      run: (op) => this.slots.run(op.host, () => this.execute(op)),
      inFlight: (group) => [...(this.groupCalls.get(group) ?? [])],
      emit: (e) => this.emit(e),
    });
    const hard = options.hardSignal;
    this.hardStop = new Promise<void>((r) => {
      if (hard?.aborted) r();
      hard?.addEventListener('abort', () => r(), { once: true });
    });
  }

  async run(): Promise<ApplyResult> {
    const walked = await walk(this.plan.operations, {
      id: (op) => op.id,
      deps: (op) => op.deps,
      after: (op) => op.after ?? [],
      slotOf: (op) => (op.write ? op.host : undefined),
      slots: this.slots,
      gate: (op) => this.mustNotStart(op),
      run: (op) => this.start(op),
      onDone: (op, detail, ms) =>
        this.emit({ type: 'op-done', op: ref(op), ms, ...(typeof detail === 'string' ? { detail } : {}) }),
      onFailed: (op, err, ms) => this.failed(op, errorText(err), ms),
      onSkipped: (op, root, reason) => {
        this.skipRoots.set(op.id, root);
        this.emit({ type: 'op-skipped', op: ref(op), reason: reason ?? this.skipReason(root) });
      },
      onSettled: (op, s) => this.settled(op, s),
      signal: this.options.hardSignal,
    });
    if (!walked.cancelled) await Promise.race([Promise.all(this.background), this.hardStop]);
    return this.finish(walked);
  }

  private emit(e: ApplyEvent): void {
    this.options.reporter?.event(e);
  }

  private skipReason(root: string): string {
    return root === 'interrupt' ? 'interrupted' : `${root} failed`;
  }

  /**
   * Why an op must not start now, if it must not: the policies in order (interruption, lost host, stopped rollout,
   * its replace group being put back).
   */
  private mustNotStart(op: Operation): NotStarted | undefined {
    const no =
      interruptionRefusal(this.options.signal, this.options.hardSignal) ??
      this.lost.refusal(op.host) ??
      this.rollouts.skip(op) ??
      this.compensations.refusal(op);
    return no ? new NotStarted(no.reason, no.root) : undefined;
  }

  private execute(op: Operation): Promise<string | void> {
    return runOperation(op, this.options.clients.get(op.host)!, this.options);
  }

  /** Runs an operation the walker started (its slot held, the gate passed). */
  private async start(op: Operation): Promise<string | void> {
    if (op.kind === 'rollout.barrier') return this.barrier(op);
    const client: HostClient | undefined = this.options.clients.get(op.host);
    if (!client) throw new Error(`no client for host ${op.host}`);
    if (op.group) this.compensations.begin(op.group);
    this.started.add(op.id);
    this.emit({ type: 'op-start', op: ref(op) });
    try {
      return await this.inGroup(op.group, runOperation(op, client, this.options));
    } catch (err) {
      // Noted before the slot goes to the host's next task, so that one is already skipped.
      this.lost.note(op.host, op.id, err);
      throw err;
    }
  }

  /** `call`, counted among its group's calls in flight until it settles. */
  private inGroup<T>(group: string | undefined, call: Promise<T>): Promise<T> {
    if (!group) return call;
    let calls = this.groupCalls.get(group);
    if (!calls) this.groupCalls.set(group, (calls = new Set()));
    calls.add(call);
    const done = () => void calls.delete(call);
    call.then(done, done);
    return call;
  }

  /** After the previous batch, once its failed replicas were put back; no Engine call. */
  private async barrier(op: Operation): Promise<string | void> {
    const groups = (op.after ?? []).map((a) => this.byId.get(a)?.group);
    await Promise.all(groups.map((g) => (g ? this.compensations.of(g) : undefined) ?? Promise.resolve()));
    const again = this.mustNotStart(op);
    if (again) throw again;
    this.started.add(op.id);
    this.emit({ type: 'op-start', op: ref(op) });
    return this.execute(op);
  }

  private failed(op: Operation, error: string, ms: number): void {
    this.failures.push({ op: op.id, error });
    this.rollouts.failed(op, error);
    this.emit({ type: 'op-failed', op: ref(op), error, ms });
  }

  /** An op settled: compensate its group if it did not finish; finish its rollout if it was the last. */
  private settled(op: Operation, s: NodeStatus): void {
    this.status[op.id] = s;
    if (s !== 'done' && op.group) {
      const work = this.compensations.start(op.group, s === 'skipped' ? (this.skipRoots.get(op.id) ?? op.id) : op.id);
      if (work) this.background.push(work);
    }
    const finishing = this.rollouts.settled(op, this.rolloutHooks());
    if (finishing)
      this.background.push(
        finishing.then((o) => {
          this.rolloutOutcomes[o.service] = o;
          this.emit({ type: 'rollout', outcome: o });
        }),
      );
  }

  private rolloutHooks(): RolloutHooks {
    return {
      run: (op) => this.rollbackStep(op),
      compensation: (g) => this.compensations.of(g),
      status: (id) => this.status[id],
      rollbackStep: (service, step, error) =>
        this.emit({ type: 'rollback', service, op: ref(step), ...(error ? { error } : {}) }),
      delay: (ms) => this.rollbackDelay(ms),
    };
  }

  /** Runs a rollback step of a rollout through the slots; a lost host or a hard stop fails it. */
  private async rollbackStep(op: Operation): Promise<void> {
    if (this.lost.get(op.host)) throw new Error(`host ${op.host} lost`);
    if (this.options.hardSignal?.aborted) throw new Error('interrupted');
    // Waits (healthy, running for monitor) hold no concurrency slot.
    if (!op.write) return void (await this.execute(op));
    await this.slots.run(op.host, () => this.execute(op));
  }

  /** rollback_config.delay between rollback batches; a hard stop ends it at once. */
  private rollbackDelay(ms: number): Promise<void> {
    const hard = this.options.hardSignal;
    return new Promise<void>((resolve) => {
      if (hard?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        hard?.removeEventListener('abort', done);
        resolve();
      }
      hard?.addEventListener('abort', done, { once: true });
    });
  }

  private finish(walked: WalkResult): ApplyResult {
    const { options, status } = this;
    if (options.hardSignal?.aborted)
      for (const op of this.plan.operations)
        if (!status[op.id]) status[op.id] = this.started.has(op.id) ? 'interrupted' : 'skipped';
    const calls = Object.fromEntries([...options.clients].map(([h, c]) => [h, { ...c.counts }]));
    const interrupted = !!options.signal?.aborted || !!options.hardSignal?.aborted;
    const failures = this.failures;
    const s = summarize({
      operations: this.plan.operations,
      status,
      rootCause: walked.rootCause,
      failures,
      interrupted,
    });
    const lostHosts = this.lost.entries();
    const { ok, outcome, rootCauses } = s;
    this.emit({
      type: 'summary',
      ok,
      outcome,
      done: s.done,
      failed: s.failed,
      skipped: s.skipped,
      calls,
      failures,
      rootCauses,
      lostHosts,
    });
    return { ok, outcome, status, failures, rootCauses, lostHosts, calls, rollouts: this.rolloutOutcomes };
  }
}
