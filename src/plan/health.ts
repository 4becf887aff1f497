/**
 * Healthchecks, as the file and the daemon give them. Pure.
 *
 * The file decides only when it defines a test (`healthy`) or disables the check (`running`). Without a test
 * (no `healthcheck:`, or only its timings) the image's HEALTHCHECK applies, which the plan cannot see: the
 * daemon merges it into the container's config at create, so the wait decides from the created container's
 * inspect (`Config.Healthcheck`) at apply time (`healthy-or-running`).
 */
import type { ServiceSpec } from '../stack/types.js';

/** The Engine's defaults for a healthcheck's timings (0 or absent means these). */
export const DEFAULT_HEALTH_NS = { interval: 30e9, timeout: 30e9, retries: 3, startPeriod: 0 };

/** What makes a replica count as ready: healthy, running for monitor, or healthy when the container turns out to have a healthcheck. */
export type ReadyGate = 'healthy' | 'running' | 'healthy-or-running';

export interface HealthTimings {
  intervalNs?: number;
  timeoutNs?: number;
  retries?: number;
  startPeriodNs?: number;
}

/** The time limit of a wait for healthy: start_period + (interval + timeout) × (retries + 1) + 30 s. */
export function healthTimeoutMs(h: HealthTimings | undefined): number {
  const interval = h?.intervalNs || DEFAULT_HEALTH_NS.interval;
  const timeout = h?.timeoutNs || DEFAULT_HEALTH_NS.timeout;
  const retries = h?.retries || DEFAULT_HEALTH_NS.retries;
  const start = h?.startPeriodNs || DEFAULT_HEALTH_NS.startPeriod;
  return Math.round((start + (interval + timeout) * (retries + 1)) / 1e6) + 30_000;
}

/** The file's say: a test (`healthy`), disabled (`running`), or nothing (the image's HEALTHCHECK decides at apply time). */
export function readyGate(s: Pick<ServiceSpec, 'healthcheck'>): ReadyGate {
  const test = s.healthcheck?.test ?? [];
  if (test[0] === 'NONE') return 'running';
  return test.length ? 'healthy' : 'healthy-or-running';
}

/**
 * The healthcheck a created container has, from its inspect (`Config.Healthcheck`: the file's merged with
 * the image's by the daemon); undefined when it has none (no test, or `NONE`).
 */
export function containerHealthcheck(inspect: {
  Config?: {
    Healthcheck?: {
      Test?: string[] | null;
      Interval?: number;
      Timeout?: number;
      Retries?: number;
      StartPeriod?: number;
    } | null;
  } | null;
}): HealthTimings | undefined {
  const hc = inspect.Config?.Healthcheck;
  const test = hc?.Test ?? [];
  if (!hc || !test.length || test[0] === 'NONE') return undefined;
  return { intervalNs: hc.Interval, timeoutNs: hc.Timeout, retries: hc.Retries, startPeriodNs: hc.StartPeriod };
}

/** How the plan says what makes a replica count as updated (or back). */
export function gateText(gate: ReadyGate, monitorMs: number): string {
  const running = `running ${monitorMs / 1000}s (monitor)`;
  if (gate === 'healthy') return 'each replica healthy';
  if (gate === 'running') return `each replica ${running}`;
  return `each replica healthy, or ${running} if its image has no healthcheck`;
}
