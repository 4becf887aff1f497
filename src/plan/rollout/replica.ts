/**
 * One replica's replace group in a rollout (the sequence is in src/plan/rollout/plan.ts's header), with the
 * compensation that undoes exactly the steps that succeeded, and the steps that roll it back. Pure.
 */
import { hookNote, postStartParams, preStopParams } from '../lifecycle.js';
import type { ServiceSpec } from '../../stack/types.js';
import type { Compensation, OpKind, OpParams, RollbackPolicy, RolloutReplica } from '../types.js';
import { asOperation, type AddOp } from '../builder.js';
import { rollbackSteps } from './rollback.js';
import { stopDeps } from '../drivers/stop.js';
import { DRAIN_MS, keptName, ms, type DnsEndpoint, type ReplaceRequest, type RolloutContext } from './types.js';

/** What every replica of one rollout shares. */
export interface RolloutFrame {
  add: AddOp;
  s: ServiceSpec;
  ctx: RolloutContext;
  order: 'stop-first' | 'start-first';
  rollback: RollbackPolicy;
  stopTimeout: number | undefined;
  extra: { rollout: string };
}

/** The ops of one replica's replace group, by role. */
export interface ReplicaSteps {
  group: string;
  kept: string;
  /** The create (first op of the group). */
  first: string;
  stop: string;
  keep: string;
  start: string;
  waited: string;
  /** The rename to the final name: every op of the group comes before it (or is skipped with it). */
  final: string;
  /** start-first: the old container's disconnects, to reconnect it should the group fail. */
  withdrawals: { id: string; d: DnsEndpoint }[];
}

/**
 * Adds one replica's replace group after `barrier` (the previous batch, if any). Its container is created once the
 * previous batch's new containers have started (`createAfter`): while that batch is gated, off its critical path,
 * and not all at once with the first batch's stops and starts.
 */
export function planReplica(
  f: RolloutFrame,
  r: ReplaceRequest,
  barrier: string | undefined,
  createAfter: string[],
): ReplicaSteps {
  const group = `replace ${r.host} ${r.final}`;
  const kept = keptName(r.final);
  const { first, last } = r.create(group, f.extra, { withoutAliases: f.order === 'start-first', after: createAfter });
  const base = { group, kept, first, withdrawals: [] as { id: string; d: DnsEndpoint }[] };
  const steps =
    f.order === 'stop-first' ? stopFirst(f, r, base, [last, barrier]) : startFirst(f, r, base, [last, barrier]);
  const final = f.add(
    'container.rename',
    r.host,
    `rename ${r.temporary}`,
    r.resource,
    `to ${r.final}`,
    [steps.keep, steps.waited],
    { name: r.temporary, newName: r.final },
    group,
    f.extra,
  );
  return { ...base, ...steps, final };
}

type Base = Pick<ReplicaSteps, 'group' | 'kept' | 'first' | 'withdrawals'>;
type Middle = Pick<ReplicaSteps, 'stop' | 'keep' | 'start' | 'waited'>;

/**
 * stop X → (rename X → X_kept, start X_next) → wait. The rename and the start both follow the stop and run side by
 * side (the final rename waits for both): the rename is off the critical path. A compensation waits for whatever
 * of its group is still in flight before it undoes anything (src/apply/compensation.ts).
 */
function stopFirst(f: RolloutFrame, r: ReplaceRequest, b: Base, after: (string | undefined)[]): Middle {
  const stop = stopOld(f, r, b.group, 'replaced (stop-first)', after);
  const keep = keepOld(f, r, b, stop);
  const start = startNew(f, r, b.group, 'replacement', [stop, ...r.startGates]);
  return { stop, keep, start, waited: waitReady(f, r, b.group, [start]) };
}

/** start X_next → wait → admit X_next → drain → withdraw X → stop X → rename X → X_kept. */
function startFirst(f: RolloutFrame, r: ReplaceRequest, b: Base, after: (string | undefined)[]): Middle {
  const cause = 'replacement (start-first: the old one keeps serving)';
  const start = startNew(f, r, b.group, cause, [...after, ...r.startGates]);
  const waited = waitReady(f, r, b.group, [start]);
  const admitted = admit(f, r, b.group, waited);
  const inService = f.ctx.network.afterStart({ host: r.host, create: b.first, group: b.group });
  const settled = f.add(
    'rollout.drain',
    r.host,
    `settle ${r.temporary}`,
    r.resource,
    `${DRAIN_MS} ms for every host to learn the new address before the old one leaves`,
    [admitted, ...inService],
    { delayMs: DRAIN_MS },
    b.group,
    f.extra,
  );
  const withdrawn = withdraw(f, r, b, settled);
  const stop = stopOld(f, r, b.group, 'replaced (the new one is ready)', [withdrawn]);
  return { stop, keep: keepOld(f, r, b, stop), start, waited };
}

function stopOld(f: RolloutFrame, r: ReplaceRequest, group: string, cause: string, deps: (string | undefined)[]) {
  const params = { name: r.final, timeoutSeconds: f.stopTimeout, ...preStopParams(f.s) };
  const stop = { kind: 'container.stop' as const, host: r.host, name: r.final, resource: r.resource, deps, group };
  const gated = stopDeps(f.ctx.network, stop);
  const what = `stop ${r.final}${hookNote('pre_stop', f.s)}`;
  return f.add('container.stop', r.host, what, r.resource, cause, gated, params, group, f.extra);
}

function keepOld(f: RolloutFrame, r: ReplaceRequest, b: Base, stop: string) {
  const cause = `to ${b.kept}: kept until the rollout completes`;
  const params = { name: r.final, newName: b.kept };
  return f.add('container.rename', r.host, `rename ${r.final}`, r.resource, cause, [stop], params, b.group, f.extra);
}

function startNew(f: RolloutFrame, r: ReplaceRequest, group: string, cause: string, deps: (string | undefined)[]) {
  const params = { name: r.temporary, ...postStartParams(f.s) };
  const what = `start ${r.temporary}${hookNote('post_start', f.s)}`;
  return f.add('container.start', r.host, what, r.resource, cause, deps, params, group, f.extra);
}

/** The gate a replica must pass to count as updated (src/plan/health.ts). */
function waitReady(f: RolloutFrame, r: ReplaceRequest, group: string, deps: string[]): string {
  const monitorMs = ms(f.s.deploy.updateConfig.monitorNs);
  if (f.ctx.gate === 'healthy') {
    const params = { name: r.temporary, timeoutMs: f.ctx.healthTimeoutMs };
    const cause = 'a replica counts as updated once healthy';
    return f.add(
      'container.wait-healthy',
      r.host,
      `wait healthy ${r.temporary}`,
      r.resource,
      cause,
      deps,
      params,
      group,
      f.extra,
    );
  }
  const params = { name: r.temporary, monitorMs, timeoutMs: monitorMs + 60_000 };
  if (f.ctx.gate === 'running') {
    const cause = `a replica counts as updated once running for ${monitorMs} ms (monitor)`;
    return f.add(
      'container.wait-running',
      r.host,
      `wait running ${r.temporary}`,
      r.resource,
      cause,
      deps,
      params,
      group,
      f.extra,
    );
  }
  const cause = `a replica counts as updated once healthy if its image has a healthcheck, else once running for ${monitorMs} ms (monitor)`;
  return f.add(
    'container.wait-ready',
    r.host,
    `wait healthy or running ${r.temporary}`,
    r.resource,
    cause,
    deps,
    params,
    group,
    f.extra,
  );
}

/** Admitted: only now does the new container join the service's names (it was created without aliases). */
function admit(f: RolloutFrame, r: ReplaceRequest, group: string, after: string): string {
  let admitted = after;
  for (const d of r.dns) {
    const aliases = (d.endpoint.Aliases as string[] | undefined) ?? [];
    if (!aliases.length) continue;
    const off = f.add(
      'network.disconnect',
      r.host,
      `disconnect ${r.temporary} ${d.network}`,
      r.resource,
      'created without its aliases; joins them now that it is ready',
      [admitted],
      { network: d.network, container: r.temporary },
      group,
      f.extra,
    );
    admitted = f.add(
      'network.connect',
      r.host,
      `connect ${r.temporary} ${d.network}`,
      r.resource,
      `with aliases ${aliases.join(', ')}: in the service's names from now on`,
      [off],
      { network: d.network, container: r.temporary, body: { Container: r.temporary, EndpointConfig: d.endpoint } },
      group,
      f.extra,
    );
  }
  return admitted;
}

/** Withdrawn: the old container leaves the names before it stops, so no new request reaches a stopping container. */
function withdraw(f: RolloutFrame, r: ReplaceRequest, b: Base, after: string): string {
  let withdrawn = after;
  for (const d of r.previousDns) {
    const id = f.add(
      'network.disconnect',
      r.host,
      `disconnect ${r.final} ${d.network}`,
      r.resource,
      'leaves the service name before it stops',
      [withdrawn],
      { network: d.network, container: r.final },
      b.group,
      f.extra,
    );
    b.withdrawals.push({ id, d });
    withdrawn = id;
  }
  return withdrawn;
}

/** Undoes exactly the steps of the group that succeeded: the old container is back, the new one gone. */
export function replicaCompensation(r: ReplaceRequest, steps: ReplicaSteps): Compensation {
  const undo = <K extends OpKind>(label: string, kind: K, params: OpParams[K], ifDone: string) =>
    asOperation<K, { ifDone: string }>({
      id: `${r.host} undo: ${label}`,
      kind,
      host: r.host,
      resource: r.resource,
      cause: 'replacement failed',
      deps: [],
      params,
      write: true,
      ifDone,
    });
  const { kept } = steps;
  return {
    group: steps.group,
    ops: [
      undo(
        `remove ${r.temporary}`,
        'container.remove',
        { name: r.temporary, force: true, volumes: false },
        steps.first,
      ),
      undo(`rename ${kept}`, 'container.rename', { name: kept, newName: r.final }, steps.keep),
      ...steps.withdrawals.map((w) =>
        undo(
          `connect ${r.final} ${w.d.network}`,
          'network.connect',
          { network: w.d.network, container: r.final, body: { Container: r.final, EndpointConfig: w.d.endpoint } },
          w.id,
        ),
      ),
      undo(`start ${r.final}`, 'container.start', { name: r.final }, steps.stop),
    ],
  };
}

/** The replica as the rollout records it, with the steps that put its previous container back. */
export function rolloutReplica(f: RolloutFrame, r: ReplaceRequest, steps: ReplicaSteps): RolloutReplica {
  const target = {
    host: r.host,
    resource: r.resource,
    name: r.final,
    kept: steps.kept,
    temporary: r.temporary,
    stopTimeout: f.stopTimeout,
    reconnect: f.order === 'start-first' ? r.previousDns : [],
    withdraw: r.dns,
  };
  return {
    group: steps.group,
    resource: r.resource,
    host: r.host,
    name: r.final,
    rollback: rollbackSteps(target, f.rollback),
  };
}
