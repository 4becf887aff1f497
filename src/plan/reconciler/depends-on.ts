/** depends_on: the ops a dependent's start waits for, per dependency and condition. Pure. */
import type { ServiceSpec } from '../../stack/types.js';
import { error } from '../../errors.js';
import { healthTimeoutMs, readyGate } from '../health.js';
import type { Reconciler, ReplicaRecord } from './context.js';
import { collate } from '../../collate.js';

type Condition = ServiceSpec['dependsOn'][string];

/** The ops a dependent's start must wait for, over all its dependencies (in name order). */
export function dependencyGates(r: Reconciler, s: ServiceSpec): string[] {
  const out: string[] = [];
  for (const [dep, cond] of Object.entries(s.dependsOn).sort(([a], [b]) => collate(a, b))) {
    const ds = r.desired.services[dep];
    if (!ds) {
      if (cond.required)
        r.diagnostics.push(
          error(`service ${s.name} depends on ${dep}, which is not defined`, { path: `services.${s.name}.depends_on` }),
        );
      continue;
    }
    // service_healthy needs a healthcheck the file does not disable (its own test, or the image's).
    if (cond.condition === 'service_healthy' && readyGate(ds) === 'running') {
      r.diagnostics.push(
        error(`service ${s.name} waits for ${dep} to be healthy, but ${dep}'s healthcheck is disabled`, {
          path: `services.${s.name}.depends_on.${dep}`,
        }),
      );
      continue;
    }
    for (const rec of r.replicas.get(dep) ?? []) {
      const gate = replicaGate(r, s, { name: dep, spec: ds }, cond, rec);
      if (gate) out.push(gate);
    }
  }
  return out;
}

/** What one replica of the dependency must reach for the condition: started, healthy or exited 0. */
function replicaGate(
  r: Reconciler,
  s: ServiceSpec,
  dependency: { name: string; spec: ServiceSpec },
  cond: Condition,
  rec: ReplicaRecord,
): string | undefined {
  const { name: dep, spec: ds } = dependency;
  if (cond.condition === 'service_started') return rec.started;
  if (cond.condition === 'service_healthy') {
    if (rec.healthy) return rec.healthy;
    if (!rec.started && rec.observed?.health === 'healthy') return undefined;
    const params = {
      name: rec.name,
      timeoutMs: healthTimeoutMs(ds.healthcheck),
      ...(readyGate(ds) === 'healthy-or-running' ? { healthcheckFrom: 'container' as const } : {}),
    };
    return waitOnce(r, `healthy ${rec.host} ${rec.name}`, () =>
      r.b.add(
        'container.wait-healthy',
        rec.host,
        `wait healthy ${rec.name}`,
        `service:${dep}`,
        `${s.name} depends on it (service_healthy)`,
        [rec.final ?? rec.started],
        params,
      ),
    );
  }
  if (!rec.started && rec.observed?.state === 'exited' && rec.observed.exitCode === 0) return undefined;
  return waitOnce(r, `exit ${rec.host} ${rec.name}`, () =>
    r.b.add(
      'container.wait-exit',
      rec.host,
      `wait exit ${rec.name}`,
      `service:${dep}`,
      `${s.name} depends on it (service_completed_successfully)`,
      [rec.final ?? rec.started],
      { name: rec.name, timeoutMs: 600_000 },
    ),
  );
}

/** One wait op per replica and condition, however many dependents wait on it. */
function waitOnce(r: Reconciler, key: string, add: () => string): string {
  if (!r.waitOps.has(key)) r.waitOps.set(key, add());
  return r.waitOps.get(key)!;
}
