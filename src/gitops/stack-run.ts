/**
 * One stack of the agent, one step at a time: apply the commit when it is new (or retry it after a failure, once
 * its back-off has passed), else check the hosts for drift from it. A commit that does not validate is reported
 * once and skipped — nothing of it is applied — and the stack keeps running as the last good commit left it.
 * Deploys go through the deploy layer (src/deploy), the workflow `stack apply` uses: look, lock, plan, apply,
 * record the revision (with the commit), sync the catalog.
 */
import { ExitError, type Diagnostic } from '../errors.js';
import { deploy, RunSignals, type DeployOptions } from '../deploy/deploy.js';
import { readOwnerAndHashKey, withStore } from '../deploy/locked.js';
import { planStack } from '../apply/pipeline.js';
import type { DesiredState } from '../stack/types.js';
import type { Plan } from '../plan/types.js';
import { Backoff } from './backoff.js';
import type { Clock } from './clock.js';
import { stackKey, type AgentConfig, type AgentContext, type StackTarget } from './config.js';
import { agentIO } from './agent-io.js';
import type { AgentLog } from './events.js';
import type { AgentMetrics } from './metrics.js';
import { loadTarget } from './stack-load.js';
import { buildServices, resolveBuilds } from '../build/images.js';

export interface StackRunDeps {
  config: AgentConfig;
  context: AgentContext;
  clock: Clock;
  log: AgentLog;
  metrics: AgentMetrics;
  /** The signals of the run in progress, for a stopping agent to interrupt. */
  onRun: (signals: RunSignals | undefined) => void;
}

export function errorText(err: unknown): string {
  if (err instanceof ExitError && err.diagnostics.length)
    return err.diagnostics.map((d: Diagnostic) => d.summary).join('; ');
  return err instanceof Error ? err.message : String(err);
}

export class StackRun {
  readonly key: string;
  /** The commit last applied (ok or already in place); undefined before the first. */
  applied: string | undefined;
  /** A commit that did not validate: reported once, skipped until the ref moves. */
  private invalid: string | undefined;
  /** The commit whose apply failed, retried after the back-off. */
  private failedCommit: string | undefined;
  readonly backoff: Backoff;

  constructor(
    readonly target: StackTarget,
    private readonly deps: StackRunDeps,
  ) {
    this.key = stackKey(target);
    this.backoff = new Backoff(deps.config.backoff);
  }

  /** When the back-off lets this stack be tried again (0: no failure pending). */
  retryAt(): number | undefined {
    return this.failedCommit !== undefined ? this.backoff.notBeforeTime : undefined;
  }

  /** One step at `commit`, checked out in `checkout`. */
  async step(checkout: string, commit: string): Promise<void> {
    if (commit === this.invalid) return;
    if (commit !== this.applied) {
      if (commit === this.failedCommit && !this.backoff.ready(this.deps.clock.now())) return;
      const reason = commit === this.failedCommit ? 'retry' : 'new commit';
      return this.apply(checkout, commit, reason);
    }
    await this.checkDrift(checkout, commit);
  }

  private async load(checkout: string, commit: string): Promise<DesiredState | undefined> {
    const loaded = await loadTarget(checkout, this.target, this.deps.context.env);
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    if (loaded.value && !errors.length) {
      if (loaded.diagnostics.length)
        this.deps.log({ event: 'warning', stack: this.key, diagnostics: loaded.diagnostics });
      return loaded.value;
    }
    this.invalid = commit;
    this.deps.log({ event: 'invalid', stack: this.key, commit, diagnostics: loaded.diagnostics });
    this.deps.metrics.applied(this.key, commit, 'invalid', 0, this.deps.clock.now());
    return undefined;
  }

  private async apply(checkout: string, commit: string, reason: 'new commit' | 'drift repair' | 'retry') {
    const desired = await this.load(checkout, commit);
    if (!desired) return;
    const { clock, log, metrics } = this.deps;
    if (this.applied === undefined && (await this.alreadyApplied(desired, commit))) {
      this.applied = commit;
      metrics.applied(this.key, commit, 'unchanged', 0, clock.now());
      log({ event: 'applied', stack: this.key, commit, outcome: 'unchanged', operations: 0, seconds: 0 });
      return this.checkDrift(checkout, commit);
    }
    log({ event: 'applying', stack: this.key, commit, reason });
    const io = agentIO(this.key, log, clock);
    const started = clock.now();
    try {
      const built = await this.images(desired, 'build');
      const result = await this.withSignals((signals) => deploy(built, this.deployOptions(io, signals, commit)));
      const seconds = (clock.now() - started) / 1000;
      const outcome = result ? 'ok' : 'unchanged';
      this.applied = commit;
      this.failedCommit = undefined;
      this.backoff.succeeded();
      metrics.applied(this.key, commit, outcome, seconds, clock.now());
      log({ event: 'applied', stack: this.key, commit, outcome, operations: result ? io.operations() : 0, seconds });
    } catch (err) {
      this.failedCommit = commit;
      const wait = this.backoff.failed(clock.now());
      metrics.applied(this.key, commit, 'failed', (clock.now() - started) / 1000, clock.now());
      log({
        event: 'apply-failed',
        stack: this.key,
        commit,
        error: errorText(err),
        retryInSeconds: wait / 1000,
        failures: this.backoff.count,
      });
    } finally {
      const waited = io.lockWaitSeconds();
      if (waited > 0) metrics.lockWaited(this.key, waited);
    }
  }

  /**
   * At the agent's start: was this commit's apply the stack's newest revision, and did it end ok? Then the agent
   * takes it as applied and checks for drift (so a restart or a cron `--once` with --drift report only reports).
   */
  private async alreadyApplied(desired: DesiredState, commit: string): Promise<boolean> {
    const { context } = this.deps;
    try {
      const latest = await withStore(desired, { consul: context.consul, env: context.env }, 'the revisions', (o) =>
        o.store.latest(desired.name),
      );
      return latest?.commit === commit && latest.result === 'ok' && latest.kind !== 'destroy';
    } catch {
      return false;
    }
  }

  /** Plans against the hosts, read-only and without the lock: any operation is drift. */
  private async checkDrift(checkout: string, commit: string): Promise<void> {
    const { log, metrics, context, config } = this.deps;
    let plan: Plan;
    try {
      const desired = await loadTarget(checkout, this.target, context.env);
      if (!desired.value) throw new Error(desired.diagnostics.map((d) => d.summary).join('; '));
      const store = { consul: context.consul, env: context.env };
      const [owner, hashKey] = await readOwnerAndHashKey(desired.value, store);
      const resolved = await this.images(desired.value, 'lookup');
      const planned = await planStack(resolved, { ...context.planning(desired.value), owner, hashKey });
      const errors = planned.plan.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length) throw new ExitError(1, errors);
      plan = planned.plan;
    } catch (err) {
      metrics.driftChecked(this.key, 'failed');
      return log({ event: 'drift-check-failed', stack: this.key, commit, error: errorText(err) });
    }
    const operations = plan.operations.length;
    metrics.driftChecked(this.key, operations ? 'drift' : 'clean');
    if (!operations) return;
    const changes = plan.changes.slice(0, 20).map((c) => `${c.action} ${c.resource} on ${c.host}`);
    log({ event: 'drift', stack: this.key, commit, operations, changes, action: config.drift });
    if (config.drift === 'repair') await this.apply(checkout, commit, 'drift repair');
  }

  /**
   * The stack with every `build:` resolved to an image by digest, as `stack apply` (build) and `stack plan` (lookup)
   * do it: built on the inventory's builder and pushed to its registry when the registry lacks the tag.
   */
  private async images(desired: DesiredState, mode: 'build' | 'lookup'): Promise<DesiredState> {
    if (!buildServices(desired).length) return desired;
    const { credentials } = this.deps.context.planning(desired);
    return (await resolveBuilds(desired, { mode, credentials })).desired;
  }

  private deployOptions(io: ReturnType<typeof agentIO>, signals: RunSignals, commit: string): DeployOptions {
    const { context } = this.deps;
    return {
      consul: context.consul,
      lockTimeout: context.lockTimeout,
      env: context.env,
      warnState: (d) => io.warn([d]),
      planning: context.planning,
      io,
      signals,
      commit,
      command: 'reconcile',
    };
  }

  private async withSignals<T>(fn: (signals: RunSignals) => Promise<T>): Promise<T> {
    const signals = new RunSignals(this.deps.context.graceMs);
    this.deps.onRun(signals);
    try {
      return await fn(signals);
    } catch (err) {
      throw signals.translate(err);
    } finally {
      this.deps.onRun(undefined);
      signals.dispose();
    }
  }
}
