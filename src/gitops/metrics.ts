/**
 * The agent's Prometheus metrics (prom-client, in a registry of its own — never the global one): per stack the
 * commit last applied, whether drift was found at the last check, applies and failures counted, apply duration
 * and lock wait histograms, invalid commits skipped, webhooks by outcome. `/metrics` serves `text()`.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type ApplyOutcome = 'ok' | 'failed' | 'invalid' | 'unchanged';

export class AgentMetrics {
  readonly registry = new Registry();
  /** The commit each stack's info series carries now (one series per stack). */
  private readonly commits = new Map<string, string>();
  private readonly lastApplied = new Gauge({
    name: 'stack_reconcile_last_applied_commit_info',
    help: 'The commit last applied to each stack (1 for the current commit)',
    labelNames: ['stack', 'commit'],
    registers: [this.registry],
  });
  private readonly lastAppliedTime = new Gauge({
    name: 'stack_reconcile_last_applied_timestamp_seconds',
    help: 'When the last apply of each stack ended ok',
    labelNames: ['stack'],
    registers: [this.registry],
  });
  private readonly drift = new Gauge({
    name: 'stack_reconcile_drift_detected',
    help: 'Whether the last drift check of each stack found the hosts differing from the applied commit (1) or not (0)',
    labelNames: ['stack'],
    registers: [this.registry],
  });
  private readonly driftChecks = new Counter({
    name: 'stack_reconcile_drift_checks_total',
    help: 'Drift checks per stack and result (drift, clean, failed)',
    labelNames: ['stack', 'result'],
    registers: [this.registry],
  });
  private readonly applies = new Counter({
    name: 'stack_reconcile_applies_total',
    help: 'Applies per stack and outcome (ok, failed, invalid: the commit did not validate, unchanged: nothing to do)',
    labelNames: ['stack', 'outcome'],
    registers: [this.registry],
  });
  private readonly failures = new Counter({
    name: 'stack_reconcile_failures_total',
    help: 'Failed reconciles per stack (an apply that failed, a commit that did not validate)',
    labelNames: ['stack'],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'stack_reconcile_apply_duration_seconds',
    help: 'How long each apply took, lock wait included',
    labelNames: ['stack'],
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  private readonly lockWait = new Histogram({
    name: 'stack_reconcile_lock_wait_seconds',
    help: "How long an apply waited for the stack's lock held by another run",
    labelNames: ['stack'],
    buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  private readonly fetches = new Counter({
    name: 'stack_reconcile_fetches_total',
    help: 'Fetches of the repository by result (ok, failed)',
    labelNames: ['result'],
    registers: [this.registry],
  });
  private readonly webhooks = new Counter({
    name: 'stack_reconcile_webhooks_total',
    help: 'Webhook requests by provider and outcome (accepted, ignored, refused)',
    labelNames: ['provider', 'outcome'],
    registers: [this.registry],
  });

  applied(stack: string, commit: string, outcome: ApplyOutcome, seconds: number, now: number): void {
    this.applies.inc({ stack, outcome });
    if (outcome === 'failed' || outcome === 'invalid') this.failures.inc({ stack });
    if (outcome === 'ok' || outcome === 'failed') this.duration.observe({ stack }, seconds);
    if (outcome === 'ok' || outcome === 'unchanged') {
      const before = this.commits.get(stack);
      if (before !== undefined && before !== commit) this.lastApplied.remove({ stack, commit: before });
      this.commits.set(stack, commit);
      this.lastApplied.set({ stack, commit }, 1);
      this.lastAppliedTime.set({ stack }, now / 1000);
    }
  }

  driftChecked(stack: string, result: 'drift' | 'clean' | 'failed'): void {
    this.driftChecks.inc({ stack, result });
    if (result !== 'failed') this.drift.set({ stack }, result === 'drift' ? 1 : 0);
  }

  lockWaited(stack: string, seconds: number): void {
    this.lockWait.observe({ stack }, seconds);
  }

  fetched(ok: boolean): void {
    this.fetches.inc({ result: ok ? 'ok' : 'failed' });
  }

  webhook(provider: string, outcome: 'accepted' | 'ignored' | 'refused'): void {
    this.webhooks.inc({ provider, outcome });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
