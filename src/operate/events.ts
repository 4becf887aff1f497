/**
 * `stack events`: the daemons' events (GET /events) for the stack's objects, every host at once. Containers are the
 * stack's by their labels (the event carries them); networks and volumes by name, since their events carry no labels.
 * Without `follow` each host's stream ends at `until` (now) and the events are merged in time order; with it, live
 * events are passed on as they come until `signal` aborts. A host that cannot be reached, or whose stream drops, is
 * named through `lost` and the others go on. Read-only; prints nothing.
 */
import type { Readable } from 'node:stream';
import type { DesiredState } from '../stack/types.js';
import type { HostClient } from '../docker/client.js';
import type { ObservedState } from '../observe/types.js';
import { Labels, type StackOwner } from '../labels.js';

export type EventObject = 'container' | 'network' | 'volume';

export interface StackEvent {
  /** RFC 3339 with nanoseconds (UTC), from the daemon's clock. */
  time: string;
  /** Nanoseconds since the epoch, as a decimal string (too big for a JSON number). */
  timeNano: string;
  host: string;
  type: EventObject;
  /** `create`, `start`, `die`, `health_status`, `connect`… */
  action: string;
  /** What follows the action's colon: `healthy` for `health_status: healthy`; absent when none. */
  detail?: string;
  id: string;
  name: string;
  /** For containers: their service and slot. */
  service?: string;
  slot?: string;
  /** For `die`: the exit code. */
  exitCode?: number;
}

/** Which events are the stack's. */
export interface EventScope {
  stack: string;
  /** When known (and stored), only containers of this identity. */
  owner?: StackOwner;
  /** Names of the stack's networks and volumes. */
  names: Set<string>;
}

export function eventScope(desired: DesiredState, observed: ObservedState, owner?: StackOwner): EventScope {
  const names = new Set<string>();
  for (const n of Object.values(desired.networks)) if (!n.external) names.add(n.name);
  for (const v of Object.values(desired.volumes)) if (!v.external) names.add(v.name);
  for (const h of Object.values(observed.hosts)) {
    for (const n of h.networks) names.add(n.name);
    for (const v of h.volumes) names.add(v.name);
  }
  return { stack: desired.name, ...(owner && !owner.new ? { owner } : {}), names };
}

const OBJECTS: ReadonlySet<string> = new Set(['container', 'network', 'volume']);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** One line of the daemon's stream, validated; undefined when it is not one of the stack's events. */
export function parseEvent(host: string, line: string, scope: EventScope): StackEvent | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== 'object') return undefined;
  const e = raw as Record<string, unknown>;
  const type = text(e.Type);
  const actor = (e.Actor && typeof e.Actor === 'object' ? e.Actor : {}) as Record<string, unknown>;
  const attrs = (actor.Attributes && typeof actor.Attributes === 'object' ? actor.Attributes : {}) as Record<
    string,
    unknown
  >;
  const action = text(e.Action) ?? '';
  // Read from the text: a JSON number of 19 digits loses its last ones in a double.
  const timeNano = /"timeNano":\s*"?([0-9]{1,20})[",}\s]/.exec(line)?.[1] ?? '';
  if (!type || !OBJECTS.has(type) || !timeNano || !action) return undefined;
  const id = text(actor.ID) ?? '';
  const name = text(attrs.name) ?? (type === 'container' ? id.slice(0, 12) : id);
  if (type === 'container') {
    if (attrs[Labels.stack] !== scope.stack || attrs[Labels.managed] !== 'true') return undefined;
    if (scope.owner && attrs[Labels.owner] !== scope.owner.id) return undefined;
  } else if (!scope.names.has(type === 'network' ? (text(attrs.name) ?? '') : id)) return undefined;
  const [verb, ...rest] = action.split(':');
  const exitCode = Number(text(attrs.exitCode));
  return {
    time: isoNano(timeNano),
    timeNano,
    host,
    type: type as EventObject,
    action: verb.trim(),
    ...(rest.length ? { detail: rest.join(':').trim() } : {}),
    id,
    name: type === 'volume' ? id : name,
    ...(type === 'container'
      ? { service: text(attrs[Labels.service]) ?? '', slot: text(attrs[Labels.slot]) ?? '' }
      : {}),
    ...(verb === 'die' && Number.isInteger(exitCode) ? { exitCode } : {}),
  };
}

/** `1796517600123456789` → `2026-12-06T00:40:00.123456789Z`. */
export function isoNano(timeNano: string): string {
  const n = BigInt(timeNano);
  const seconds = n / 1_000_000_000n;
  const nanos = n % 1_000_000_000n;
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.[0-9]{3}Z$/, `.${String(nanos).padStart(9, '0')}Z`);
}

/** Time order, then the hosts' order, then arrival (a stable sort keeps it). */
export function byTime(hosts: readonly string[]) {
  return (a: StackEvent, b: StackEvent): number => {
    const d = BigInt(a.timeNano) - BigInt(b.timeNano);
    return d < 0n ? -1 : d > 0n ? 1 : hosts.indexOf(a.host) - hosts.indexOf(b.host);
  };
}

export interface EventSinks {
  event(e: StackEvent): void;
  /** The host could not be reached, or its stream broke: named once. */
  lost(host: string, reason: string): void;
}

export interface EventWindow {
  since?: string;
  until?: string;
  signal: AbortSignal;
}

/** One host's stream: each of the stack's events to `onEvent`; resolves when it ends (or rejects when it breaks). */
async function hostStream(
  client: HostClient,
  scope: EventScope,
  window: EventWindow,
  onEvent: (e: StackEvent) => void,
): Promise<void> {
  const open = (opts: Record<string, unknown>) => client.docker.getEvents(opts);
  const stream = (await open({
    ...(window.since ? { since: window.since } : {}),
    ...(window.until ? { until: window.until } : {}),
    filters: { type: ['container', 'network', 'volume'] },
    abortSignal: window.signal,
  })) as Readable;
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const e = parseEvent(client.name, buf.slice(0, i), scope);
        buf = buf.slice(i + 1);
        if (e) onEvent(e);
      }
    });
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
}

const why = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Past events up to `window.until` from every host, merged in time order. */
export async function pastEvents(
  clients: readonly HostClient[],
  scope: EventScope,
  window: EventWindow,
  sinks: EventSinks,
): Promise<void> {
  const all: StackEvent[] = [];
  await Promise.all(
    clients.map((c) => hostStream(c, scope, window, (e) => all.push(e)).catch((err) => sinks.lost(c.name, why(err)))),
  );
  all.sort(byTime(clients.map((c) => c.name)));
  for (const e of all) sinks.event(e);
}

/** Live events from every host as they come, until `window.signal` aborts; a stream that ends before is lost. */
export async function followEvents(
  clients: readonly HostClient[],
  scope: EventScope,
  window: EventWindow,
  sinks: EventSinks,
): Promise<void> {
  await Promise.all(
    clients.map((c) =>
      hostStream(c, scope, window, (e) => sinks.event(e)).then(
        () => void (window.signal.aborted || sinks.lost(c.name, 'its event stream ended')),
        (err) => void (window.signal.aborted || sinks.lost(c.name, `its event stream broke: ${why(err)}`)),
      ),
    ),
  );
}
