/**
 * `stack ps` rows: one per container of the stack on every host, with its health and whether its config drifted from
 * the file. Pure: the observed snapshot (and, where gathered, each container's inspect) in, rows out. `stack status`
 * counts these same rows (status.ts), so both say the same about health.
 */
import type { DesiredState, ServiceSpec } from '../stack/types.js';
import type { ObservedContainer, ObservedState, PublishedPort } from '../observe/types.js';
import { Roles } from '../labels.js';
import type { HashKey } from '../sensitive.js';
import { serviceConfig } from './config.js';
import { normaliseImageRef } from '../docker/image-ref.js';
import { collate } from '../collate.js';

/** A container's health: the daemon's verdict, or `none` when it has no healthcheck (neither the file's nor the image's). */
export type Health = 'healthy' | 'unhealthy' | 'starting' | 'none';

/** What a container is to its service: a live replica, or a leftover of a rollout or of a files volume fill. */
export type ContainerRole = 'replica' | 'temporary' | 'kept' | 'helper';

/** What an inspect adds to a row (restart count, start time); absent when the container was not inspected. */
export interface ContainerDetails {
  restartCount: number;
  /** RFC 3339, as the daemon says; absent when it never started. */
  startedAt?: string;
}

export interface PsRow {
  service: string;
  /** `1`, `2`… or the host name in global mode. */
  slot: string;
  host: string;
  name: string;
  /** The full container id. */
  id: string;
  role: ContainerRole;
  state: ObservedContainer['state'];
  health: Health;
  /** The image reference the container was made from. */
  image: string;
  /** The manifest digest it was created with (from its config label); absent when unknown. */
  digest?: string;
  /** Published host ports: `HOSTIP:PORT->TARGET/PROTO`. */
  ports: string[];
  /** When it last started (RFC 3339); absent when not inspected or never started. */
  startedAt?: string;
  restartCount?: number;
  /** Exit code of a stopped container. */
  exitCode?: number;
  /**
   * True when its config hash differs from what the file plans for its service now (or the file has no such
   * service); null when that cannot be told (the stack's hash key is unknown).
   */
  drift: boolean | null;
}

export interface PsOptions {
  /** Also stopped containers and rollout leftovers (kept, temporary) and helpers. */
  all?: boolean;
  /** Only these services (all when empty). */
  services?: readonly string[];
  /** The stack's hash key (its state store's); without it drift is null. */
  hashKey?: HashKey;
  /** Each container's inspect, by id, where gathered. */
  details?: ReadonlyMap<string, ContainerDetails>;
}

const LIVE_STATES: ReadonlySet<string> = new Set(['running', 'restarting', 'paused']);

export function roleOf(c: ObservedContainer): ContainerRole {
  switch (c.role) {
    case Roles.temporary:
      return 'temporary';
    case Roles.kept:
      return 'kept';
    case Roles.helper:
      return 'helper';
    default:
      return 'replica';
  }
}

/** The one health rule of ps and status: what the daemon's list says, `none` where it says nothing. */
export function healthOf(c: Pick<ObservedContainer, 'health'>): Health {
  return c.health ?? 'none';
}

/** Does the service have a healthcheck: the file's (not disabled), or the image's as any container reports it. */
export function serviceHasHealthcheck(
  spec: ServiceSpec | undefined,
  containers: readonly { health: Health }[],
): boolean {
  if (spec?.healthcheck) return spec.healthcheck.test[0] !== 'NONE';
  return containers.some((c) => c.health !== 'none');
}

export function portText(p: PublishedPort): string {
  const ip = p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp;
  return `${ip}:${p.port}${p.target ? `->${p.target}` : ''}/${p.protocol}`;
}

/**
 * Does the container's config hash differ from what the file plans for its service? The digest is the one the
 * container was created with (ps asks no registry): a newer image behind the same tag is `plan`'s business, not drift.
 */
export function driftOf(desired: DesiredState, c: ObservedContainer, key: HashKey | undefined): boolean | null {
  const spec = desired.services[c.service];
  if (!spec) return true;
  if (!key) return null;
  const pulled = spec.pullPolicy === 'missing' || spec.pullPolicy === 'always';
  const recorded = c.config?.image === normaliseImageRef(spec.image) ? c.config?.digest : undefined;
  const digest = pulled && typeof recorded === 'string' ? recorded : undefined;
  return serviceConfig(desired, spec, digest, key).hash !== c.configHash;
}

function row(desired: DesiredState, c: ObservedContainer, options: PsOptions): PsRow {
  const details = options.details?.get(c.id);
  const image = typeof c.config?.image === 'string' ? c.config.image : (c.image ?? '');
  const digest = typeof c.config?.digest === 'string' ? c.config.digest : undefined;
  return {
    service: c.service,
    slot: c.slot,
    host: c.host,
    name: c.name,
    id: c.id,
    role: roleOf(c),
    state: c.state,
    health: healthOf(c),
    image,
    ...(digest ? { digest } : {}),
    ports: (c.ports ?? []).map(portText),
    ...(details?.startedAt ? { startedAt: details.startedAt } : {}),
    ...(details ? { restartCount: details.restartCount } : {}),
    ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
    drift: driftOf(desired, c, options.hashKey),
  };
}

/** Is the row shown without --all: a replica that is running, restarting or paused. */
export function isLive(r: Pick<PsRow, 'role' | 'state'>): boolean {
  return r.role === 'replica' && LIVE_STATES.has(r.state);
}

const slotOrder = (a: string, b: string) => {
  const [x, y] = [Number(a), Number(b)];
  return Number.isInteger(x) && Number.isInteger(y) ? x - y : collate(a, b);
};

/** The rows of every observed container of the stack, by service, slot, host order and name. */
export function psRows(desired: DesiredState, observed: ObservedState, options: PsOptions = {}): PsRow[] {
  const wanted = new Set(options.services ?? []);
  const order = desired.hosts.map((h) => h.name);
  const rows: PsRow[] = [];
  for (const h of Object.values(observed.hosts))
    for (const c of h.containers) {
      if (wanted.size && !wanted.has(c.service)) continue;
      const r = row(desired, c, options);
      if (options.all || isLive(r)) rows.push(r);
    }
  return rows.sort(
    (a, b) =>
      collate(a.service, b.service) ||
      slotOrder(a.slot, b.slot) ||
      order.indexOf(a.host) - order.indexOf(b.host) ||
      collate(a.name, b.name),
  );
}
