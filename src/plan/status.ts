/**
 * Status rows: per service and host, desired / running / healthy. Pure. Counted from `stack ps`'s rows (ps.ts), so
 * both follow one health rule: a service without any healthcheck (neither the file's nor its image's) has no healthy
 * count — `null`, shown `-` — rather than a number that reads as a failure.
 */
import type { DesiredState } from '../stack/types.js';
import { serviceHasHealthcheck, type PsRow } from './ps.js';
import { collate } from '../collate.js';

export interface StatusRow {
  service: string;
  host: string;
  desired: number;
  running: number;
  /** Running and healthy; null for a service without a healthcheck (in the file or the image). */
  healthy: number | null;
  /** Containers present on the host for the service (any state, rollout leftovers included; helpers not). */
  containers: number;
  hasHealthcheck: boolean;
}

/** `rows`: every container of the stack (ps's rows with `all`). */
export function statusRows(
  desired: DesiredState,
  rows: readonly PsRow[],
  placement: Record<string, Record<string, string>>,
): StatusRow[] {
  const out = new Map<string, StatusRow>();
  const containers = rows.filter((c) => c.role !== 'helper');
  const hasHealthcheck = (service: string) =>
    serviceHasHealthcheck(
      desired.services[service],
      containers.filter((c) => c.service === service),
    );
  const row = (service: string, host: string) => {
    const key = `${service}\0${host}`;
    let r = out.get(key);
    if (!r) {
      const hc = hasHealthcheck(service);
      r = { service, host, desired: 0, running: 0, healthy: hc ? 0 : null, containers: 0, hasHealthcheck: hc };
      out.set(key, r);
    }
    return r;
  };
  for (const [service, slots] of Object.entries(placement))
    for (const host of Object.values(slots)) row(service, host).desired++;
  for (const c of containers) {
    const r = row(c.service, c.host);
    r.containers++;
    if (c.state !== 'running') continue;
    r.running++;
    if (r.healthy !== null && c.health === 'healthy') r.healthy++;
  }
  const order = desired.hosts.map((h) => h.name);
  return [...out.values()].sort(
    (a, b) => collate(a.service, b.service) || order.indexOf(a.host) - order.indexOf(b.host),
  );
}
