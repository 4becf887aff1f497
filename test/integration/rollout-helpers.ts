/** Rolling-update tests: stack files for a small HTTP service, and replica counts replayed from the hosts' events. */
import { Labels } from '../../src/labels.js';
import { docker, hostEvents, sandbox, IMAGE } from './reconcile-helpers.js';

export interface ApiVersion {
  /** What the service answers on / */
  body: string;
  /** `ok`: healthy; `unhealthy`: serves, but its healthcheck asks a missing path; `exits`: exits at once. */
  behaviour?: 'ok' | 'unhealthy' | 'exits';
  update?: Record<string, string | number>;
  /** deploy.rollback_config keys (none: the defaults). */
  rollback?: Record<string, string | number>;
  replicas?: number;
  /** Extra service keys, YAML at service indentation. */
  extra?: string;
  /** Top-level networks block, YAML. */
  networks?: string;
  /** Shell run before the server starts (same for every replica), e.g. to fail where a marker file is. */
  preamble?: string;
  /** Top-level volumes block, YAML. */
  volumes?: string;
  /** The placement constraint (default: the pool=main hosts). */
  constraint?: string;
}

/** A 3-replica busybox httpd on port 8080 with a healthcheck, on the pool=main hosts. */
export function apiStack(name: string, v: ApiVersion): string {
  const serve = `trap 'exit 0' TERM; mkdir -p /www && echo ${v.body} > /www/index.html && httpd -f -p 8080 -h /www & wait`;
  const command = v.behaviour === 'exits' ? `echo ${v.body} is broken; exit 3` : `${v.preamble ?? ''}${serve}`;
  const path = v.behaviour === 'unhealthy' ? '/missing' : '/';
  const update = Object.entries({ parallelism: 1, ...v.update })
    .map(([k, x]) => `        ${k}: ${x}`)
    .join('\n');
  return `name: ${name}
services:
  api:
    image: ${IMAGE()}
    command: ["sh", "-c", ${JSON.stringify(command)}]
    stop_grace_period: 2s
    healthcheck:
      test: ["CMD-SHELL", "timeout 5 wget -qO- http://127.0.0.1:8080${path} >/dev/null"]
      interval: 1s
      timeout: 6s
      retries: 3
${v.extra ?? ''}    deploy:
      replicas: ${v.replicas ?? 3}
      placement:
        constraints: ["${v.constraint ?? 'node.labels.pool == main'}"]
      update_config:
${update}
${
  v.rollback
    ? `      rollback_config:\n${Object.entries(v.rollback)
        .map(([k, x]) => `        ${k}: ${x}\n`)
        .join('')}`
    : ''
}${v.networks ?? ''}${v.volumes ?? ''}`;
}

export interface ContainerEvent {
  host: string;
  time: number;
  action: string;
  name: string;
  service: string;
  hash: string;
}

/** Container start/die events of a stack on every main host since `since` (ms), in time order. */
export async function containerEvents(stack: string, since: number): Promise<ContainerEvent[]> {
  return (await hostEvents(since, { type: ['container'], label: [`${Labels.stack}=${stack}`] }))
    .map(({ host, event: e }) => ({
      host,
      time: Number(e.timeNano),
      action: String(e.Action).split(':')[0],
      name: String(e.Actor.Attributes.name),
      service: e.Actor.Attributes[Labels.service],
      hash: e.Actor.Attributes[Labels.configHash],
      id: e.Actor.ID,
    }))
    .sort((a, b) => a.time - b.time);
}

/**
 * Replays start/die events over the containers running at `since` (by id) and returns the running
 * count of `service` after every event: the lowest value is how far the service ever dropped.
 */
export function runningCounts(
  events: (Omit<ContainerEvent, 'service'> & { service?: string; id?: string })[],
  initiallyRunning: string[],
  service: string,
): number[] {
  const running = new Set(initiallyRunning);
  const counts: number[] = [running.size];
  for (const e of events) {
    if (e.service !== service) continue;
    if (e.action === 'start') running.add((e as { id?: string }).id!);
    else if (e.action === 'die') running.delete((e as { id?: string }).id!);
    else continue;
    counts.push(running.size);
  }
  return counts;
}

/** Ids of the running containers of a stack's service on the main hosts. */
export async function runningIds(
  stack: string,
  service: string,
): Promise<{ id: string; name: string; host: string; hash: string }[]> {
  const out = await Promise.all(
    sandbox().hosts.map(async (h) =>
      (
        await docker(h.name).listContainers({
          filters: { label: [`${Labels.stack}=${stack}`, `${Labels.service}=${service}`], status: ['running'] },
        })
      ).map((c) => ({
        id: c.Id,
        name: c.Names[0].slice(1),
        host: h.name,
        hash: c.Labels[Labels.configHash],
      })),
    ),
  );
  return out.flat();
}
