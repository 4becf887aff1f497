import test from 'ava';
import { reconcile } from '../../../src/plan/index.js';
import { statusRows } from '../../../src/plan/status.js';
import { psRows } from '../../../src/plan/ps.js';
import { desired, observedEmpty, service, simulate } from './helpers.js';

/** The stack applied, then each container's state and health as the daemon's list would say. */
function applied(
  services: Parameters<typeof desired>[0],
  health: Record<string, { state?: string; health?: 'healthy' | 'unhealthy' | 'starting' }>,
) {
  const d = desired(services);
  const plan = reconcile(d, observedEmpty(d));
  const o = simulate(plan, observedEmpty(d));
  for (const h of Object.values(o.hosts))
    for (const c of h.containers) Object.assign(c, { state: 'running' }, health[c.name] ?? {});
  return statusRows(d, psRows(d, o, { all: true }), plan.placement);
}

test("status counts healthy from the daemon's list: the file's healthcheck or the image's; without one, healthy is null (shown -), never a count", (t) => {
  const rows = applied(
    [
      service('api', { healthcheck: { test: ['CMD', 'true'], intervalNs: 1e9 }, deploy: { replicas: 3 } }),
      service('img', { deploy: { replicas: 3 } }),
      service('plain', { deploy: { replicas: 3 } }),
    ],
    {
      'app-api-1': { health: 'healthy' },
      'app-api-2': { health: 'starting' },
      'app-api-3': { health: 'unhealthy' },
      'app-img-1': { health: 'healthy' },
      'app-img-2': { health: 'starting' },
      'app-img-3': { state: 'exited' },
      'app-plain-2': { state: 'exited' },
    },
  );
  const sum = (svc: string) =>
    rows
      .filter((r) => r.service === svc)
      .reduce(
        (a, r) => ({
          desired: a.desired + r.desired,
          running: a.running + r.running,
          healthy: r.healthy === null ? a.healthy : (a.healthy ?? 0) + r.healthy,
          hc: a.hc || r.hasHealthcheck,
        }),
        { desired: 0, running: 0, healthy: null as number | null, hc: false },
      );
  t.deepEqual(sum('api'), { desired: 3, running: 3, healthy: 1, hc: true });
  t.deepEqual(sum('img'), { desired: 3, running: 2, healthy: 1, hc: true });
  t.deepEqual(sum('plain'), { desired: 3, running: 2, healthy: null, hc: false });
});
