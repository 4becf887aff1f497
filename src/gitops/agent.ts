/**
 * The reconcile agent (docs/gitops.md): every interval — or at once when a verified webhook asks — fetch the
 * repository, resolve the watched ref to a commit, check it out, and step every stack (apply what changed, retry
 * what failed after its back-off, check the rest for drift). One cycle at a time, so one apply per stack at a time
 * in this agent; the stack's lock orders it with every other run. Stopping lets the apply in flight end as a
 * SIGTERM ends `stack apply` (operations in flight finish within the grace time).
 */
import path from 'node:path';
import type { RunSignals } from '../deploy/run-signals.js';
import type { Clock } from './clock.js';
import type { AgentConfig, AgentContext } from './config.js';
import type { AgentLog } from './events.js';
import { GitRepo } from './git.js';
import type { AgentMetrics } from './metrics.js';
import { errorText, StackRun } from './stack-run.js';

export interface AgentDeps {
  clock: Clock;
  log: AgentLog;
  metrics: AgentMetrics;
}

export class ReconcileAgent {
  private readonly repo: GitRepo;
  private readonly stacks: StackRun[];
  private readonly stopping = new AbortController();
  private wake = new AbortController();
  private current: RunSignals | undefined;
  /** A trigger arrived while a cycle ran: run another right after it. */
  private pending = false;
  private lastCommit: string | undefined;
  /** Set once the first cycle has ended (for /healthz). */
  cycles = 0;

  constructor(
    private readonly config: AgentConfig,
    context: AgentContext,
    private readonly deps: AgentDeps,
  ) {
    this.repo = new GitRepo(config.repo, path.join(config.workDir, 'repo'), context.env);
    const stackDeps = { config, context, ...deps, onRun: (s: RunSignals | undefined) => (this.current = s) };
    this.stacks = config.stacks.map((t) => new StackRun(t, stackDeps));
  }

  get ref(): string {
    return this.config.ref;
  }

  /** Fetch now (a verified webhook for the watched ref). */
  trigger(): void {
    this.pending = true;
    this.wake.abort();
  }

  /** Ends the loop after the cycle in progress; a deploy in flight is interrupted like `stack apply` by SIGTERM. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.stopping.abort();
    this.wake.abort();
    this.current?.receive(signal);
  }

  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /** Runs until stopped (or one cycle with `once`); returns whether the last cycle left every stack applied. */
  async run(): Promise<boolean> {
    const { config, deps } = this;
    deps.log({
      event: 'started',
      repo: config.repo,
      ref: config.ref,
      stacks: this.stacks.map((s) => s.key),
      intervalSeconds: config.intervalMs / 1000,
      drift: config.drift,
    });
    let ok: boolean;
    for (;;) {
      this.pending = false;
      ok = await this.cycle();
      this.cycles++;
      if (config.once || this.stopped) break;
      if (!this.pending) await deps.clock.sleep(this.nextWait(), this.wake.signal);
      this.wake = new AbortController();
      if (this.stopped) break;
    }
    deps.log({ event: 'stopped' });
    return ok;
  }

  /** Until the next cycle: the interval, or sooner when a failed stack's back-off ends first. */
  private nextWait(): number {
    const now = this.deps.clock.now();
    const retries = this.stacks.map((s) => s.retryAt()).filter((t): t is number => t !== undefined);
    return Math.max(0, Math.min(this.config.intervalMs, ...retries.map((t) => t - now)));
  }

  /** One fetch and one step per stack; true when every stack stands at the ref's commit. */
  private async cycle(): Promise<boolean> {
    const { log, metrics } = this.deps;
    let commit: string;
    try {
      await this.repo.fetch();
      const resolved = await this.repo.resolve(this.config.ref);
      metrics.fetched(true);
      if (!resolved) {
        log({ event: 'no-ref', ref: this.config.ref });
        return false;
      }
      commit = resolved.commit;
      if (commit !== this.lastCommit) log({ event: 'fetched', ref: resolved.ref, commit });
      this.lastCommit = commit;
      await this.repo.checkout(commit);
    } catch (err) {
      metrics.fetched(false);
      log({ event: 'fetch-failed', error: errorText(err) });
      return false;
    }
    for (const stack of this.stacks) {
      if (this.stopped) break;
      await stack.step(this.repo.dir, commit);
    }
    return this.stacks.every((s) => s.applied === commit);
  }
}
