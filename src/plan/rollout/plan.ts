/**
 * Rolling updates (deploy.update_config / rollback_config), planned as DAG structure. Pure.
 *
 * The replicas of a service that must be replaced are cut into batches of `parallelism`, interleaved
 * across hosts so that one batch spans hosts where it can. Each replica is one replace group:
 *
 *   stop-first:  create X_next → stop X → (rename X → X_kept ∥ start X_next → wait) → rename X_next → X
 *   start-first: create X_next → start X_next → wait → stop X → rename X → X_kept → rename X_next → X
 *
 * `wait` is `container.wait-healthy` when the file defines a healthcheck, `container.wait-running` (kept
 * running, without a restart, for `monitor`) when it disables one, and `container.wait-ready` when it says
 * nothing: healthy if the created container has a healthcheck (its image's), else running for `monitor` —
 * decided from the container's inspect at apply time, since the plan cannot see the image (src/plan/health.ts). A batch's first disruptive step waits for a
 * `rollout.barrier` that is `after` every op of the previous batch (whatever their outcome, and after
 * any compensation they triggered) plus `delay`. A batch's new containers are created once the previous batch's
 * have started (whatever the outcome): each create runs while that batch is gated on its wait, off the rollout's
 * critical path, instead of every create at once beside the first batch's stops and starts (a create whose group
 * is then skipped is undone by its compensation). The old containers stay, stopped, as `X_kept` until a final
 * barrier after the last batch removes them; so a rollback only renames and restarts them.
 *
 * Invariant: at most `parallelism` replicas of a service are out of service at once; a failed replica
 * is put back (its compensation undoes exactly the steps that succeeded) before the next batch starts.
 * What happens after a failure is encoded in the returned Rollout (failure action, tolerated failures,
 * the rollback policy and per-replica rollback ops, src/plan/rollout/rollback.ts); the executor only follows it.
 */
import type { ServiceSpec } from '../../stack/types.js';
import type { Diagnostic } from '../../errors.js';
import type { Compensation, Rollout, RolloutReplica } from '../types.js';
import type { AddOp } from '../builder.js';
import { rollbackPolicy } from './rollback.js';
import { cutBatches, interleaveByHost, publishedHostPorts, updateOrder } from './batches.js';
import { planReplica, replicaCompensation, rolloutReplica, type RolloutFrame } from './replica.js';
import { stopDeps } from '../drivers/stop.js';
import {
  keptName,
  ms,
  type PlannedReplica,
  type PlannedRollout,
  type ReplaceRequest,
  type RolloutContext,
} from './types.js';

/** Plans the rollout of one service: its batches, one replace group per replica, and the removal of the kept containers. */
export function planRollout(
  add: AddOp,
  s: ServiceSpec,
  requests: ReplaceRequest[],
  ctx: RolloutContext,
): PlannedRollout {
  const u = s.deploy.updateConfig;
  const diagnostics: Diagnostic[] = [];
  const ports = publishedHostPorts(s);
  const order = updateOrder(s, ports, diagnostics);
  const { policy: rollback, diagnostics: rollbackDiagnostics } = rollbackPolicy(s, requests.length, {
    ...ctx,
    publishedPorts: ports,
  });
  if (u.failureAction === 'rollback') diagnostics.push(...rollbackDiagnostics);
  const parallelism = u.parallelism > 0 ? u.parallelism : requests.length;
  const ordered = interleaveByHost(requests, ctx.hostOffset ?? 0);
  const batches = cutBatches(ordered, parallelism);
  const stopTimeout = s.stopGracePeriodNs === undefined ? undefined : Math.round(s.stopGracePeriodNs / 1e9);
  const frame: RolloutFrame = { add, s, ctx, order, rollback, stopTimeout, extra: { rollout: s.name } };
  const planned = planBatches(frame, batches);
  const removals = batches.length ? removeKept(frame, ordered, batches[0][0].host, planned.last) : [];
  const rollout: Rollout = {
    service: s.name,
    replicas: requests.length,
    order,
    parallelism: Math.max(1, parallelism),
    delayMs: ms(u.delayNs),
    monitorMs: ms(u.monitorNs),
    gate: ctx.gate,
    failureAction: u.failureAction,
    maxFailureRatio: u.maxFailureRatio,
    maxFailures: Math.floor(u.maxFailureRatio * requests.length + 1e-9),
    batches: planned.batches,
    rollback,
  };
  return { rollout, compensations: planned.compensations, replicas: planned.replicas, removals, diagnostics };
}

interface PlannedBatches {
  batches: RolloutReplica[][];
  compensations: Compensation[];
  replicas: PlannedReplica[];
  /** The last batch's final ops. */
  last: string[];
}

/** Each batch after a barrier that waits for every op of the previous one (plus update_config.delay). */
function planBatches(f: RolloutFrame, batches: ReplaceRequest[][]): PlannedBatches {
  const out: PlannedBatches = { batches: [], compensations: [], replicas: [], last: [] };
  const u = f.s.deploy.updateConfig;
  let barrier: string | undefined;
  let started: string[] = [];
  batches.forEach((batch, bi) => {
    if (bi > 0) {
      const cause = `after batch ${bi}${u.delayNs ? ` and ${ms(u.delayNs)} ms delay` : ''}`;
      const label = `rollout ${f.s.name} batch ${bi + 1}`;
      const params = { delayMs: ms(u.delayNs) };
      const extra = { after: out.last, rollout: f.extra.rollout };
      barrier = f.add(
        'rollout.barrier',
        batch[0].host,
        label,
        `service:${f.s.name}`,
        cause,
        [],
        params,
        undefined,
        extra,
      );
    }
    const batchOps: string[] = [];
    const batchStarts: string[] = [];
    const planned: RolloutReplica[] = [];
    for (const r of batch) {
      const steps = planReplica(f, r, barrier, started);
      batchOps.push(steps.final);
      batchStarts.push(steps.start);
      out.compensations.push(replicaCompensation(r, steps));
      planned.push(rolloutReplica(f, r, steps));
      const healthy = f.ctx.gate === 'healthy' ? steps.waited : undefined;
      out.replicas.push({ host: r.host, name: r.final, started: steps.start, healthy, final: steps.final });
    }
    out.last = batchOps;
    started = batchStarts;
    out.batches.push(planned);
  });
  return out;
}

/** After the last batch, the kept containers go: one barrier, then a removal per replica. */
function removeKept(f: RolloutFrame, ordered: ReplaceRequest[], host: string, last: string[]) {
  const done = f.add(
    'rollout.barrier',
    host,
    `rollout ${f.s.name} complete`,
    `service:${f.s.name}`,
    'every batch updated: the kept containers can go',
    [],
    { delayMs: 0 },
    undefined,
    { after: last, rollout: f.extra.rollout },
  );
  return ordered.map((r) => {
    const name = keptName(r.final);
    const params = { name, force: true, volumes: false };
    const cause = 'previous version, kept during the rollout';
    const deps = stopDeps(f.ctx.network, {
      kind: 'container.remove',
      host: r.host,
      name,
      resource: r.resource,
      deps: [done],
    });
    const id = f.add('container.remove', r.host, `remove ${name}`, r.resource, cause, deps, params, undefined, f.extra);
    return { host: r.host, id };
  });
}
