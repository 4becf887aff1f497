/**
 * The executor's side of rolling updates: it follows the Rollout the planner wrote, deciding nothing.
 *
 * - A replica fails when an op of its replace group fails; its compensation (run by the executor) puts
 *   its previous container back. Failures beyond `maxFailures` stop the rollout when `failureAction` is
 *   `pause` or `rollback`: every op of the rollout not yet started is skipped (which compensates the
 *   replicas of the batch in flight).
 * - Once every op of the rollout has settled and the compensations have run, `rollback` runs the
 *   planned rollback steps of each replica that had finished updating (in order: their order, stop-first
 *   or start-first, and their wait for the replica to count as back are planned, src/plan/rollback.ts),
 *   `rollback.parallelism` replicas at a time with `rollback.delayMs` between batches; with rollback_config
 *   failure_action `pause`, a failed put-back stops the rest.
 * - The outcome per service goes into the apply result and to the reporter.
 */
import type { Operation, Plan, Rollout, RolloutReplica } from '../plan/types.js';

export interface RolloutFailure {
  /** `service:web:2`. */
  resource: string;
  host: string;
  /** The replica's container name. */
  container: string;
  op: string;
  error: string;
}

export type RolloutOutcomeKind =
  'completed' | 'completed-with-failures' | 'paused' | 'rolled-back' | 'rollback-incomplete' | 'incomplete';

export interface RolloutOutcome {
  service: string;
  outcome: RolloutOutcomeKind;
  /** Replicas updated to the new version and still running it. */
  updated: string[];
  failures: RolloutFailure[];
  /** Replicas put back to the previous version by the rollback. */
  rolledBack: string[];
  rollbackErrors: { op: string; error: string }[];
}

interface State {
  rollout: Rollout;
  replicaByGroup: Map<string, RolloutReplica>;
  finalOps: Map<string, string>;
  failures: RolloutFailure[];
  failedGroups: Set<string>;
  halted?: { root: string; reason: string };
  pending: number;
  rolledBack: string[];
  rollbackErrors: { op: string; error: string }[];
}

export interface RolloutHooks {
  /** Runs one planned op (through the executor's queues); rejects with the Engine error. */
  run(op: Operation): Promise<void>;
  /** The compensation of a group, if one was started. */
  compensation(group: string): Promise<void> | undefined;
  status(opId: string): string | undefined;
  rollbackStep(service: string, op: Operation, error?: string): void;
  /** Waits between rollback batches (rollback_config.delay); ends early on a hard stop. */
  delay(ms: number): Promise<void>;
}

export class RolloutTracker {
  private readonly states = new Map<string, State>();

  constructor(plan: Plan) {
    for (const r of plan.rollouts ?? []) {
      const replicaByGroup = new Map<string, RolloutReplica>();
      for (const b of r.batches) for (const x of b) replicaByGroup.set(x.group, x);
      const finalOps = new Map<string, string>();
      for (const op of plan.operations)
        if (
          op.rollout === r.service &&
          op.group &&
          op.kind === 'container.rename' &&
          op.params.newName === replicaByGroup.get(op.group)?.name
        )
          finalOps.set(op.group, op.id);
      this.states.set(r.service, {
        rollout: r,
        replicaByGroup,
        finalOps,
        failures: [],
        failedGroups: new Set(),
        pending: plan.operations.filter((o) => o.rollout === r.service).length,
        rolledBack: [],
        rollbackErrors: [],
      });
    }
  }

  /** An op failed: count its replica, and stop the rollout when the policy says so. */
  failed(op: Operation, error: string): void {
    const st = op.rollout ? this.states.get(op.rollout) : undefined;
    const replica = op.group ? st?.replicaByGroup.get(op.group) : undefined;
    if (!st || !replica || st.failedGroups.has(replica.group)) return;
    st.failedGroups.add(replica.group);
    st.failures.push({ resource: replica.resource, host: replica.host, container: replica.name, op: op.id, error });
    const r = st.rollout;
    if (!st.halted && st.failures.length > r.maxFailures && r.failureAction !== 'continue')
      st.halted = {
        root: op.id,
        reason: `rollout of ${r.service} ${r.failureAction === 'rollback' ? 'rolled back' : 'paused'} after ${replica.name} on ${replica.host} failed`,
      };
  }

  /** Why an op must not start (its rollout has stopped), with the root cause. */
  skip(op: Operation): { root: string; reason: string } | undefined {
    return op.rollout ? this.states.get(op.rollout)?.halted : undefined;
  }

  /** An op settled; when it was the rollout's last, returns the work that finishes the rollout (the rollback). */
  settled(op: Operation, hooks: RolloutHooks): Promise<RolloutOutcome> | undefined {
    const st = op.rollout ? this.states.get(op.rollout) : undefined;
    if (!st) return undefined;
    st.pending--;
    if (st.pending > 0) return undefined;
    return this.finish(st, hooks);
  }

  private async finish(st: State, hooks: RolloutHooks): Promise<RolloutOutcome> {
    const r = st.rollout;
    await Promise.all([...st.replicaByGroup.keys()].map((g) => hooks.compensation(g) ?? Promise.resolve()));
    const finished = r.batches.flat().filter((x) => hooks.status(st.finalOps.get(x.group) ?? '') === 'done');
    if (st.halted && r.failureAction === 'rollback') {
      const parallel = Math.max(1, r.rollback.parallelism);
      for (let i = 0; i < finished.length; i += parallel) {
        if (i > 0 && r.rollback.delayMs > 0) await hooks.delay(r.rollback.delayMs);
        const batch = finished.slice(i, i + parallel);
        await Promise.all(
          batch.map(async (x) => {
            for (const step of x.rollback) {
              try {
                await hooks.run(step);
                hooks.rollbackStep(r.service, step);
              } catch (err) {
                const error = err instanceof Error ? err.message : String(err);
                st.rollbackErrors.push({ op: step.id, error });
                hooks.rollbackStep(r.service, step, error);
                return false;
              }
            }
            st.rolledBack.push(x.name);
            return true;
          }),
        );
        // rollback_config.max_failure_ratio: put-backs that may fail before failure_action pause stops the rest.
        if (r.rollback.failureAction === 'pause' && st.rollbackErrors.length > r.rollback.maxFailures) break;
      }
    }
    const rolledBack = new Set(st.rolledBack);
    const updated = finished.filter((x) => !rolledBack.has(x.name)).map((x) => x.name);
    const outcome: RolloutOutcomeKind = st.halted
      ? r.failureAction === 'rollback'
        ? st.rollbackErrors.length
          ? 'rollback-incomplete'
          : 'rolled-back'
        : 'paused'
      : st.failures.length
        ? 'completed-with-failures'
        : updated.length === st.replicaByGroup.size
          ? 'completed'
          : 'incomplete';
    return {
      service: r.service,
      outcome,
      updated,
      failures: st.failures,
      rolledBack: st.rolledBack,
      rollbackErrors: st.rollbackErrors,
    };
  }
}
