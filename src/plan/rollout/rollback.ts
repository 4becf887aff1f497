/**
 * The way back of a rolling update (deploy.rollback_config), planned per replica. Pure.
 *
 * Once a rollout is rolled back, each replica that had finished updating runs its previous container
 * (kept, stopped, as `X_kept`) again, `parallelism` replicas at a time, with `delay` between batches:
 *
 *   stop-first:  stop X → remove X → rename X_kept → X → start X → wait
 *   start-first: rename X → X_next → rename X_kept → X → start X → wait → stop X_next → remove X_next
 *
 * `wait` is the rollback's gate, as for the update (src/plan/health.ts): healthy when the file defines a
 * healthcheck, kept running (without a restart) for rollback_config.monitor when it disables one, and when it
 * says nothing, healthy if the container has a healthcheck (its image's), else running for monitor. In start-first the new container keeps serving until the previous
 * one counts as back, so the service never has fewer running replicas than before the rollback. The
 * executor (src/apply/rollout.ts) runs these steps in order and follows the policy; it decides nothing.
 */
import { warning, type Diagnostic } from '../../errors.js';
import type { ServiceSpec } from '../../stack/types.js';
import { ms, type DnsEndpoint } from './types.js';
import { gateText, type ReadyGate } from '../health.js';
import type { Operation, OpKind, OpParams, RollbackPolicy } from '../types.js';
import { asOperation } from '../builder.js';

/** The rollback policy of a service, with start-first falling back to stop-first where a host port is published. */
export function rollbackPolicy(
  s: ServiceSpec,
  replicas: number,
  ctx: { gate: ReadyGate; healthTimeoutMs: number; publishedPorts: string[] },
): { policy: RollbackPolicy; diagnostics: Diagnostic[] } {
  const rb = s.deploy.rollbackConfig;
  const diagnostics: Diagnostic[] = [];
  let order = rb.order;
  if (order === 'start-first' && ctx.publishedPorts.length) {
    order = 'stop-first';
    diagnostics.push(
      warning(
        `service ${s.name}: rollback_config.order start-first would run the old and the new container on one host at once, but host port ${ctx.publishedPorts.join(', ')} can be bound only once; a rollback uses stop-first`,
        { path: `services.${s.name}.deploy.rollback_config.order` },
        'drop the published port (reach the service over a network) or set order: stop-first',
      ),
    );
  }
  const monitorMs = ms(rb.monitorNs);
  return {
    policy: {
      parallelism: rb.parallelism > 0 ? rb.parallelism : Math.max(1, replicas),
      delayMs: ms(rb.delayNs),
      order,
      gate: ctx.gate,
      monitorMs,
      timeoutMs: ctx.gate === 'healthy' ? ctx.healthTimeoutMs : monitorMs + 60_000,
      failureAction: rb.failureAction,
      maxFailureRatio: rb.maxFailureRatio,
      maxFailures: Math.floor(rb.maxFailureRatio * Math.max(1, replicas) + 1e-9),
    },
    diagnostics,
  };
}

/** One replica's rollback steps, run in order: the previous container `kept` back under `name`, the new one gone. */
export function rollbackSteps(
  r: {
    host: string;
    resource: string;
    name: string;
    kept: string;
    temporary: string;
    stopTimeout?: number;
    reconnect?: DnsEndpoint[];
    withdraw?: DnsEndpoint[];
  },
  policy: RollbackPolicy,
): Operation[] {
  const step = <K extends OpKind>(label: string, kind: K, params: OpParams[K], write = true): Operation =>
    asOperation<K>({
      id: `${r.host} rollback: ${label}`,
      kind,
      host: r.host,
      resource: r.resource,
      cause: 'rollback to the previous version',
      deps: [],
      params,
      write,
    });
  const back = [
    step(`rename ${r.kept}`, 'container.rename', { name: r.kept, newName: r.name }),
    // A start-first update took the previous container out of the names before it stopped: back in them first.
    ...(r.reconnect ?? []).map((d) =>
      step(`connect ${r.name} ${d.network}`, 'network.connect', {
        network: d.network,
        container: r.name,
        body: { Container: r.name, EndpointConfig: d.endpoint },
      }),
    ),
    step(`start ${r.name}`, 'container.start', { name: r.name }),
    waitStep(step, r.name, policy),
  ];
  if (policy.order === 'stop-first')
    return [
      step(`stop ${r.name}`, 'container.stop', { name: r.name, timeoutSeconds: r.stopTimeout }),
      step(`remove ${r.name}`, 'container.remove', { name: r.name, force: true, volumes: false }),
      ...back,
    ];
  // start-first: the new container steps aside under its temporary name and serves until the previous one is back.
  return [
    step(`rename ${r.name}`, 'container.rename', { name: r.name, newName: r.temporary }),
    ...back,
    // It leaves the names before it stops, as in a start-first update.
    ...(r.withdraw ?? []).map((d) =>
      step(`disconnect ${r.temporary} ${d.network}`, 'network.disconnect', {
        network: d.network,
        container: r.temporary,
      }),
    ),
    step(`stop ${r.temporary}`, 'container.stop', { name: r.temporary, timeoutSeconds: r.stopTimeout }),
    step(`remove ${r.temporary}`, 'container.remove', { name: r.temporary, force: true, volumes: false }),
  ];
}

type Step = <K extends OpKind>(label: string, kind: K, params: OpParams[K], write?: boolean) => Operation;

/** The rollback's gate for the previous container (a read: not a write). */
function waitStep(step: Step, name: string, policy: RollbackPolicy): Operation {
  if (policy.gate === 'healthy')
    return step(`wait healthy ${name}`, 'container.wait-healthy', { name, timeoutMs: policy.timeoutMs }, false);
  const params = { name, monitorMs: policy.monitorMs, timeoutMs: policy.timeoutMs };
  if (policy.gate === 'running') return step(`wait running ${name}`, 'container.wait-running', params, false);
  return step(`wait healthy or running ${name}`, 'container.wait-ready', params, false);
}

/** The plan view's line for a rollout's way back. */
export function rollbackText(p: RollbackPolicy): string {
  const gate = gateText(p.gate, p.monitorMs);
  return `rollback: ${p.parallelism} at a time, ${p.order}, ${gate}, delay ${p.delayMs / 1000}s; on failure ${p.failureAction}${p.maxFailures ? ` after ${p.maxFailures + 1} failed (max_failure_ratio ${p.maxFailureRatio})` : ''}`;
}
