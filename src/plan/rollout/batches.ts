/** How a rollout's replicas are ordered and cut into batches, and which order (stop/start-first) it can use. Pure. */
import { warning, type Diagnostic } from '../../errors.js';
import type { ServiceSpec } from '../../stack/types.js';

/** The published host ports that keep start-first from running old and new side by side on one host. */
export function publishedHostPorts(s: ServiceSpec): string[] {
  if (s.networkMode === 'host') return ['(network_mode host)'];
  return s.ports
    .filter((p) => p.published !== undefined && p.published !== '')
    .map((p) => `${p.published}/${p.protocol}`);
}

/** update_config.order, with start-first falling back to stop-first (and a warning) where a host port is published. */
export function updateOrder(
  s: ServiceSpec,
  ports: string[],
  diagnostics: Diagnostic[],
): ServiceSpec['deploy']['updateConfig']['order'] {
  const order = s.deploy.updateConfig.order;
  if (order !== 'start-first' || !ports.length) return order;
  diagnostics.push(
    warning(
      `service ${s.name}: update_config.order start-first would run the old and the new container on one host at once, but host port ${ports.join(', ')} can be bound only once; using stop-first`,
      { path: `services.${s.name}.deploy.update_config.order` },
      'drop the published port (reach the service over a network) or set order: stop-first',
    ),
  );
  return 'stop-first';
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

/** Consecutive batches of `parallelism` items (at least one each). */
export function cutBatches<T>(ordered: T[], parallelism: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < ordered.length; i += Math.max(1, parallelism))
    batches.push(ordered.slice(i, i + Math.max(1, parallelism)));
  return batches;
}
