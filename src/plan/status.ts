/** Status rows: per service and host, desired / running / healthy. Pure. */
import type { DesiredState } from '../stack/types.js';
import type { ObservedState } from '../observe/types.js';
import { Roles } from '../labels.js';

export interface StatusRow {
  service: string;
  host: string;
  desired: number;
  running: number;
  /** Running and healthy; equal to running for services without a healthcheck (in the file or the image). */
  healthy: number;
  /** Containers present on the host for the service (any state). */
  containers: number;
  hasHealthcheck: boolean;
}

export function statusRows(
  desired: DesiredState,
  observed: ObservedState,
  placement: Record<string, Record<string, string>>,
): StatusRow[] {
  const rows = new Map<string, StatusRow>();
  const row = (service: string, host: string) => {
    const key = `${service}\0${host}`;
    let r = rows.get(key);
    if (!r) {
      const s = desired.services[service];
      r = {
        service,
        host,
        desired: 0,
        running: 0,
        healthy: 0,
        containers: 0,
        hasHealthcheck: !!s?.healthcheck && s.healthcheck.test[0] !== 'NONE',
      };
      rows.set(key, r);
    }
    return r;
  };
  for (const [service, slots] of Object.entries(placement))
    for (const host of Object.values(slots)) row(service, host).desired++;
  for (const h of Object.values(observed.hosts))
    for (const c of h.containers) {
      if (c.role === Roles.helper) continue;
      const r = row(c.service, h.name);
      r.containers++;
      // The list's status says `(healthy)` / `(health: starting)` whether the file or the image defines the check.
      if (c.health) r.hasHealthcheck = true;
      if (c.state === 'running') {
        r.running++;
        if (c.health ? c.health === 'healthy' : !r.hasHealthcheck) r.healthy++;
      }
    }
  const order = desired.hosts.map((h) => h.name);
  return [...rows.values()].sort(
    (a, b) => a.service.localeCompare(b.service) || order.indexOf(a.host) - order.indexOf(b.host),
  );
}
