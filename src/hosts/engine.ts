/**
 * A host's Engine as `hosts check` reads it: a `_ping` round trip (the latency), GET /version and GET /info (its
 * SystemTime against the local clock at the request's midpoint). The answers are data from a daemon: every field
 * used is checked for its type and bounded before it is kept (parseEngineFacts is pure).
 */
import type { HostClient } from '../docker/client.js';
import { clockReading, parseSystemTime } from './clock.js';
import type { ClockReading, EngineFacts } from './types.js';

/** What one host's Engine answered; `error` when it could not be reached or read. */
export interface EngineProbe {
  latencyMs?: number;
  engine?: EngineFacts;
  clock?: ClockReading;
  error?: string;
}

/** The local clock, ms since the epoch (fractional), injectable for tests. */
export type Clock = () => number;
export const systemClock: Clock = () => performance.timeOrigin + performance.now();

const MAX_TEXT = 256;
const MAX_LABELS = 200;
/** A printable text field of at most MAX_TEXT characters, else `-`. */
function text(value: unknown): string {
  return typeof value === 'string' && value.length <= MAX_TEXT && !/[\p{Cc}]/u.test(value) ? value : '-';
}

/** A field that may be unset: '' when absent, null or not a short printable text. */
const optionalText = (value: unknown): string =>
  value === undefined || value === null || text(value) === '-' ? '' : text(value);

/** `key=value` engine labels (GET /info Labels) → a map; entries that are not `key=value` text are left out. */
export function engineLabels(value: unknown): Record<string, string> {
  if (!Array.isArray(value)) return {};
  const out: Record<string, string> = {};
  for (const entry of value.slice(0, MAX_LABELS)) {
    const t = text(entry);
    const eq = t.indexOf('=');
    if (t !== '-' && eq > 0) out[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return out;
}

/** An absolute path without control characters, at most 4096 bytes; anything else is not a data root we use. */
export function dataRootOf(value: unknown): string | undefined {
  return typeof value === 'string' &&
    value.startsWith('/') &&
    value.length <= 4096 &&
    !/[\p{Cc}]/u.test(value) &&
    !value.split('/').includes('..')
    ? value
    : undefined;
}

/** GET /version and GET /info bodies → the facts the check reports (pure). */
export function parseEngineFacts(version: Record<string, unknown>, info: Record<string, unknown>): EngineFacts {
  const dataRoot = dataRootOf(info.DockerRootDir);
  return {
    version: text(version.Version ?? info.ServerVersion),
    apiVersion: text(version.ApiVersion),
    minApiVersion: text(version.MinAPIVersion),
    os: text(info.OperatingSystem),
    platform: `${text(version.Os ?? info.OSType)}/${text(version.Arch ?? info.Architecture)}`,
    kernel: text(version.KernelVersion ?? info.KernelVersion),
    clusterStore: optionalText(info.ClusterStore),
    clusterAdvertise: optionalText(info.ClusterAdvertise),
    ...(dataRoot ? { dataRoot } : {}),
    engineLabels: engineLabels(info.Labels),
  };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Ping (timed, twice), then version and info together (info timed for the clock). Never throws. */
export async function probeEngine(client: HostClient, now: Clock = systemClock): Promise<EngineProbe> {
  try {
    // The faster of two pings: the first may include the connection's set-up (TLS), which is not the round trip.
    const pings: number[] = [];
    for (let i = 0; i < 2; i++) {
      const t0 = now();
      await client.ping();
      pings.push(now() - t0);
    }
    const latencyMs = Math.min(...pings);
    const [version, timedInfo] = await Promise.all([
      client.version(),
      (async () => {
        const start = now();
        const body = await client.info();
        return { body, start, end: now() };
      })(),
    ]);
    const hostTime = parseSystemTime(timedInfo.body.SystemTime);
    return {
      latencyMs,
      engine: parseEngineFacts(version, timedInfo.body),
      ...(hostTime !== undefined ? { clock: clockReading(hostTime, timedInfo.start, timedInfo.end) } : {}),
    };
  } catch (err) {
    return { error: message(err) };
  }
}
