/**
 * Rolling updates (deploy.update_config / rollback_config), planned as DAG structure. Pure.
 *
 * The replicas of a service that must be replaced are cut into batches of `parallelism`, interleaved
 * across hosts so that one batch spans hosts where it can. Each replica is one replace group:
 *
 *   stop-first:  create X_next → stop X → rename X → X_kept → start X_next → wait → rename X_next → X
 *   start-first: create X_next → start X_next → wait → stop X → rename X → X_kept → rename X_next → X
 *
 * `wait` is `container.wait-healthy` when the file defines a healthcheck, `container.wait-running` (kept
 * running, without a restart, for `monitor`) when it disables one, and `container.wait-ready` when it says
 * nothing: healthy if the created container has a healthcheck (its image's), else running for `monitor` —
 * decided from the container's inspect at apply time, since the plan cannot see the image (src/plan/health.ts). A batch's first disruptive step waits for a
 * `rollout.barrier` that is `after` every op of the previous batch (whatever their outcome, and after
 * any compensation they triggered) plus `delay`. The old containers stay, stopped, as `X_kept` until a
 * final barrier after the last batch removes them; so a rollback only renames and restarts them.
 *
 * Invariant: at most `parallelism` replicas of a service are out of service at once; a failed replica
 * is put back (its compensation undoes exactly the steps that succeeded) before the next batch starts.
 * What happens after a failure is encoded in the returned Rollout (failure action, tolerated failures,
 * the rollback policy and per-replica rollback ops, src/plan/rollback.ts); the executor only follows it.
 */
import { warning, type Diagnostic } from '../errors.js';
import type { ServiceSpec } from '../stack/types.js';
import type { Compensation, OpKind, OpParams, Rollout, RolloutReplica } from './types.js';
import { asOperation, type AddOp } from './builder.js';
import { rollbackPolicy, rollbackSteps, rollbackText } from './rollback.js';
import { gateText, type ReadyGate } from './health.js';

/** One replica whose container must be replaced, as the reconciler found it. */
export interface ReplaceRequest {
  slot: string;
  host: string;
  /** The replica's container name (the old one has it now, the new one gets it at the end). */
  final: string;
  /** The temporary name the new container is created under. */
  temporary: string;
  resource: string;
  /**
   * Adds the create (and network connects) of the new container in `group`; returns the first and last op ids.
   * `withoutAliases`: its endpoints on the networks in `dns` get no aliases yet (start-first admits it later).
   */
  create: (
    group: string,
    extra: { rollout: string },
    options?: { withoutAliases?: boolean },
  ) => { first: string; last: string };
  /** The new container's endpoints on networks whose names Docker's DNS serves (bridge, engine overlay), aliases included. */
  dns: DnsEndpoint[];
  /** The old container's endpoints on those networks, as it was created (to take it out of the names and put it back). */
  previousDns: DnsEndpoint[];
  /** Ops the new container's start waits for (depends_on of the service). */
  startGates: string[];
}

/** A container's endpoint on a network whose names Docker's embedded DNS serves. */
export interface DnsEndpoint {
  network: string;
  /** The Engine's EndpointConfig (Aliases, IPAMConfig). */
  endpoint: Record<string, unknown>;
}

/**
 * start-first: how long the new replica is in the service's names, next to the old one, before the old one
 * leaves them and stops — time for the other hosts to learn the new address (the engine overlay's gossip,
 * Consul's catalog) and for requests already sent to the old one to finish.
 */
export const DRAIN_MS = 1000;

export interface RolloutContext {
  /** What makes a replica count as updated (src/plan/health.ts). */
  gate: ReadyGate;
  healthTimeoutMs: number;
  /**
   * Which host (in name order) the first batch starts on: the reconciler passes the number of rollouts
   * planned before this one, so services rolling at the same time start on different hosts instead of
   * all replacing on the first host, then all on the second, … (each daemon then has a share of the work).
   */
  hostOffset?: number;
}

/** What the reconciler records per replaced replica for dependents and cleanup. */
export interface PlannedReplica {
  host: string;
  name: string;
  started: string;
  healthy?: string;
  final: string;
}

export interface PlannedRollout {
  rollout: Rollout;
  compensations: Compensation[];
  replicas: PlannedReplica[];
  /** Container removals by host (the kept containers), for networks and volumes to wait on. */
  removals: { host: string; id: string }[];
  diagnostics: Diagnostic[];
}

export function keptName(name: string): string {
  return `${name}_kept`;
}

/** The published host ports that keep start-first from running old and new side by side on one host. */
export function publishedHostPorts(s: ServiceSpec): string[] {
  if (s.networkMode === 'host') return ['(network_mode host)'];
  return s.ports
    .filter((p) => p.published !== undefined && p.published !== '')
    .map((p) => `${p.published}/${p.protocol}`);
}

/**
 * Round-robin over hosts (in name order, starting at the `offset`-th host), keeping slot order within a
 * host, so a batch spans hosts.
 */
export function interleaveByHost<T extends { host: string }>(items: T[], offset = 0): T[] {
  const byHost = new Map<string, T[]>();
  for (const i of items) {
    const q = byHost.get(i.host);
    if (q) q.push(i);
    else byHost.set(i.host, [i]);
  }
  const sorted = [...byHost.keys()].sort().map((h) => byHost.get(h)!);
  const k0 = sorted.length ? offset % sorted.length : 0;
  const queues = [...sorted.slice(k0), ...sorted.slice(0, k0)];
  const out: T[] = [];
  for (let k = 0; out.length < items.length; k++) for (const q of queues) if (k < q.length) out.push(q[k]);
  return out;
}

const ms = (ns: number) => Math.round(ns / 1e6);

export function planRollout(
  add: AddOp,
  s: ServiceSpec,
  requests: ReplaceRequest[],
  ctx: RolloutContext,
): PlannedRollout {
  const u = s.deploy.updateConfig;
  const diagnostics: Diagnostic[] = [];
  let order = u.order;
  const ports = publishedHostPorts(s);
  if (order === 'start-first' && ports.length) {
    order = 'stop-first';
    diagnostics.push(
      warning(
        `service ${s.name}: update_config.order start-first would run the old and the new container on one host at once, but host port ${ports.join(', ')} can be bound only once; using stop-first`,
        { path: `services.${s.name}.deploy.update_config.order` },
        'drop the published port (reach the service over a network) or set order: stop-first',
      ),
    );
  }
  const { policy: rollback, diagnostics: rollbackDiagnostics } = rollbackPolicy(s, requests.length, {
    ...ctx,
    publishedPorts: ports,
  });
  if (u.failureAction === 'rollback') diagnostics.push(...rollbackDiagnostics);
  const parallelism = u.parallelism > 0 ? u.parallelism : requests.length;
  const ordered = interleaveByHost(requests, ctx.hostOffset ?? 0);
  const batches: ReplaceRequest[][] = [];
  for (let i = 0; i < ordered.length; i += Math.max(1, parallelism))
    batches.push(ordered.slice(i, i + Math.max(1, parallelism)));

  const rolloutKey = s.name;
  const extra = { rollout: rolloutKey };
  const compensations: Compensation[] = [];
  const replicas: PlannedReplica[] = [];
  const removals: { host: string; id: string }[] = [];
  const planBatches: RolloutReplica[][] = [];
  const stopTimeout = s.stopGracePeriodNs === undefined ? undefined : Math.round(s.stopGracePeriodNs / 1e9);
  let previous: string[] = [];
  let barrier: string | undefined;

  batches.forEach((batch, bi) => {
    if (bi > 0) {
      const host = batch[0].host;
      barrier = add(
        'rollout.barrier',
        host,
        `rollout ${s.name} batch ${bi + 1}`,
        `service:${s.name}`,
        `after batch ${bi}${u.delayNs ? ` and ${ms(u.delayNs)} ms delay` : ''}`,
        [],
        { delayMs: ms(u.delayNs) },
        undefined,
        { after: previous, rollout: rolloutKey },
      );
    }
    const batchOps: string[] = [];
    const planned: RolloutReplica[] = [];
    for (const r of batch) {
      const group = `replace ${r.host} ${r.final}`;
      const kept = keptName(r.final);
      const { first, last } = r.create(group, extra, { withoutAliases: order === 'start-first' });
      const withdrawals: { id: string; d: DnsEndpoint }[] = [];
      const wait = (deps: string[]) =>
        ctx.gate === 'healthy'
          ? add(
              'container.wait-healthy',
              r.host,
              `wait healthy ${r.temporary}`,
              r.resource,
              'a replica counts as updated once healthy',
              deps,
              { name: r.temporary, timeoutMs: ctx.healthTimeoutMs },
              group,
              extra,
            )
          : ctx.gate === 'running'
            ? add(
                'container.wait-running',
                r.host,
                `wait running ${r.temporary}`,
                r.resource,
                `a replica counts as updated once running for ${ms(u.monitorNs)} ms (monitor)`,
                deps,
                { name: r.temporary, monitorMs: ms(u.monitorNs), timeoutMs: ms(u.monitorNs) + 60_000 },
                group,
                extra,
              )
            : add(
                'container.wait-ready',
                r.host,
                `wait healthy or running ${r.temporary}`,
                r.resource,
                `a replica counts as updated once healthy if its image has a healthcheck, else once running for ${ms(u.monitorNs)} ms (monitor)`,
                deps,
                { name: r.temporary, monitorMs: ms(u.monitorNs), timeoutMs: ms(u.monitorNs) + 60_000 },
                group,
                extra,
              );
      let stop: string, keep: string, start: string, waited: string;
      if (order === 'stop-first') {
        stop = add(
          'container.stop',
          r.host,
          `stop ${r.final}`,
          r.resource,
          'replaced (stop-first)',
          [last, barrier],
          { name: r.final, timeoutSeconds: stopTimeout },
          group,
          extra,
        );
        keep = add(
          'container.rename',
          r.host,
          `rename ${r.final}`,
          r.resource,
          `to ${kept}: kept until the rollout completes`,
          [stop],
          { name: r.final, newName: kept },
          group,
          extra,
        );
        start = add(
          'container.start',
          r.host,
          `start ${r.temporary}`,
          r.resource,
          'replacement',
          [keep, ...r.startGates],
          { name: r.temporary },
          group,
          extra,
        );
        waited = wait([start]);
      } else {
        start = add(
          'container.start',
          r.host,
          `start ${r.temporary}`,
          r.resource,
          'replacement (start-first: the old one keeps serving)',
          [last, barrier, ...r.startGates],
          { name: r.temporary },
          group,
          extra,
        );
        waited = wait([start]);
        // Admitted: only now does the new container join the service's names (it was created without aliases).
        let admitted = waited;
        for (const d of r.dns) {
          const aliases = (d.endpoint.Aliases as string[] | undefined) ?? [];
          if (!aliases.length) continue;
          const off = add(
            'network.disconnect',
            r.host,
            `disconnect ${r.temporary} ${d.network}`,
            r.resource,
            'created without its aliases; joins them now that it is ready',
            [admitted],
            { network: d.network, container: r.temporary },
            group,
            extra,
          );
          admitted = add(
            'network.connect',
            r.host,
            `connect ${r.temporary} ${d.network}`,
            r.resource,
            `with aliases ${aliases.join(', ')}: in the service's names from now on`,
            [off],
            {
              network: d.network,
              container: r.temporary,
              body: { Container: r.temporary, EndpointConfig: d.endpoint },
            },
            group,
            extra,
          );
        }
        const settled = add(
          'rollout.drain',
          r.host,
          `settle ${r.temporary}`,
          r.resource,
          `${DRAIN_MS} ms for every host to learn the new address before the old one leaves`,
          [admitted],
          { delayMs: DRAIN_MS },
          group,
          extra,
        );
        // Withdrawn: the old container leaves the names before it stops, so no new request reaches a stopping container.
        let withdrawn = settled;
        for (const d of r.previousDns) {
          const id = add(
            'network.disconnect',
            r.host,
            `disconnect ${r.final} ${d.network}`,
            r.resource,
            'leaves the service name before it stops',
            [withdrawn],
            { network: d.network, container: r.final },
            group,
            extra,
          );
          withdrawals.push({ id, d });
          withdrawn = id;
        }
        stop = add(
          'container.stop',
          r.host,
          `stop ${r.final}`,
          r.resource,
          'replaced (the new one is ready)',
          [withdrawn],
          { name: r.final, timeoutSeconds: stopTimeout },
          group,
          extra,
        );
        keep = add(
          'container.rename',
          r.host,
          `rename ${r.final}`,
          r.resource,
          `to ${kept}: kept until the rollout completes`,
          [stop],
          { name: r.final, newName: kept },
          group,
          extra,
        );
      }
      const final = add(
        'container.rename',
        r.host,
        `rename ${r.temporary}`,
        r.resource,
        `to ${r.final}`,
        [keep, waited],
        { name: r.temporary, newName: r.final },
        group,
        extra,
      );
      // Every op of the group comes before `final` (or is skipped with it): waiting for it settles the group.
      batchOps.push(final);
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
      compensations.push({
        group,
        ops: [
          undo(`remove ${r.temporary}`, 'container.remove', { name: r.temporary, force: true, volumes: false }, first),
          undo(`rename ${kept}`, 'container.rename', { name: kept, newName: r.final }, keep),
          ...withdrawals.map((w) =>
            undo(
              `connect ${r.final} ${w.d.network}`,
              'network.connect',
              { network: w.d.network, container: r.final, body: { Container: r.final, EndpointConfig: w.d.endpoint } },
              w.id,
            ),
          ),
          undo(`start ${r.final}`, 'container.start', { name: r.final }, stop),
        ],
      });
      planned.push({
        group,
        resource: r.resource,
        host: r.host,
        name: r.final,
        rollback: rollbackSteps(
          {
            host: r.host,
            resource: r.resource,
            name: r.final,
            kept,
            temporary: r.temporary,
            stopTimeout,
            reconnect: order === 'start-first' ? r.previousDns : [],
            withdraw: r.dns,
          },
          rollback,
        ),
      });
      replicas.push({
        host: r.host,
        name: r.final,
        started: start,
        healthy: ctx.gate === 'healthy' ? waited : undefined,
        final,
      });
    }
    previous = batchOps;
    planBatches.push(planned);
  });

  if (batches.length) {
    const done = add(
      'rollout.barrier',
      batches[0][0].host,
      `rollout ${s.name} complete`,
      `service:${s.name}`,
      'every batch updated: the kept containers can go',
      [],
      { delayMs: 0 },
      undefined,
      { after: previous, rollout: rolloutKey },
    );
    for (const r of ordered) {
      const id = add(
        'container.remove',
        r.host,
        `remove ${keptName(r.final)}`,
        r.resource,
        'previous version, kept during the rollout',
        [done],
        { name: keptName(r.final), force: true, volumes: false },
        undefined,
        extra,
      );
      removals.push({ host: r.host, id });
    }
  }

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
    batches: planBatches,
    rollback,
  };
  return { rollout, compensations, replicas, removals, diagnostics };
}

/** One line per rollout for the plan view: the policy, then its batches. */
export function rolloutText(r: Rollout): string[] {
  const gate = gateText(r.gate, r.monitorMs);
  const lines = [
    `rollout ${r.service}: ${r.replicas} replica${r.replicas === 1 ? '' : 's'}, ${r.parallelism} at a time, ${r.order}, ${gate}, delay ${r.delayMs / 1000}s; on failure ${r.failureAction}${r.maxFailures ? ` after ${r.maxFailures + 1} failed (max_failure_ratio ${r.maxFailureRatio})` : ''}`,
  ];
  if (r.failureAction === 'rollback') lines.push(`  ${rollbackText(r.rollback)}`);
  r.batches.forEach((b, i) => lines.push(`  batch ${i + 1}: ${b.map((x) => `${x.name} (${x.host})`).join(', ')}`));
  return lines;
}
