/**
 * The waits: they poll with reads (inspect, the container's event stream) and make no write. A wait whose gate is
 * decided from the container (`container.wait-ready`) returns what it waited for.
 */
import type { HostClient } from '../../docker/client.js';
import { containerHealthcheck, healthTimeoutMs } from '../../plan/health.js';
import { unreachable, type Operation } from '../../plan/types.js';
import { sleep, type OperationContext } from './context.js';

/** What the waits read of a container's inspect. */
interface Inspected {
  State?: {
    Running?: boolean;
    Restarting?: boolean;
    Status?: string;
    ExitCode?: number;
    Health?: { Status?: string; Log?: { ExitCode?: number; Output?: string }[] };
  };
  RestartCount?: number;
}

export type WaitOperation = Extract<
  Operation,
  { kind: `container.wait-${string}` | 'rollout.barrier' | 'rollout.drain' }
>;

interface Timing {
  timeoutMs: number;
  intervalMs: number;
  fallbackMs: number;
}

const OWN_HEALTHY = "healthy (its image's healthcheck)";

const duration = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)}s`);

/**
 * Waits for a container until `check` says ok (or names a failure): inspects it, then inspects again at
 * the next event the daemon reports about it (its event stream; see docker/container-events.ts) or
 * after `fallbackMs`, whichever comes first. Without an event stream (it could not be opened) it
 * inspects every `intervalMs`. On timeout, `pending` says what the last inspect showed.
 */
async function waitFor(
  client: HostClient,
  name: string,
  t: Timing,
  /** `ok`, `wait`, or what went wrong. */
  check: (i: Inspected) => string,
  pending?: (i: Inspected) => string,
): Promise<void> {
  const deadline = Date.now() + t.timeoutMs;
  const events = await Promise.resolve()
    .then(() => client.watchContainer(name))
    .catch(() => undefined);
  try {
    for (;;) {
      const inspected: Inspected = await client.inspectContainer(name);
      const verdict = check(inspected);
      if (verdict === 'ok') return;
      if (verdict !== 'wait') throw new Error(`${name}: ${verdict}`);
      const left = deadline - Date.now();
      if (left < 0)
        throw new Error(
          `${name}: timed out after ${duration(t.timeoutMs)}${pending ? ` (${pending(inspected)})` : ''}`,
        );
      if (events) await events.next(Math.min(t.fallbackMs, left + 1));
      else await sleep(t.intervalMs);
    }
  } finally {
    events?.close();
  }
}

/** Until the container is healthy; exited or unhealthy fail it at once. */
function waitHealthy(client: HostClient, name: string, t: Timing): Promise<void> {
  const check = (i: Inspected) => {
    const health = i.State?.Health?.Status;
    if (health === 'healthy') return 'ok';
    // A container that exited is reported as such, even when the engine also marked it unhealthy.
    if (!i.State?.Running && !i.State?.Restarting) return `exited with code ${i.State?.ExitCode} before it was healthy`;
    if (health === 'unhealthy') {
      const last = i.State.Health?.Log?.at(-1);
      return `unhealthy (last check exit ${last?.ExitCode ?? '?'}: ${last?.Output?.trim() || 'no output'})`;
    }
    return 'wait';
  };
  return waitFor(client, name, t, check, (i) => `never healthy: health ${i.State?.Health?.Status ?? 'unknown'}`);
}

/** Until the container has kept running, without a restart, for `monitorMs`. */
function waitRunning(client: HostClient, name: string, monitorMs: number, timeoutMs: number, intervalMs: number) {
  // Counted from the first poll that sees it running (local clock): no clock skew with the daemon.
  let since: number | undefined;
  // Checked every `interval` as before (the monitor period is counted by this clock); events wake it sooner.
  return waitFor(client, name, { timeoutMs, intervalMs, fallbackMs: intervalMs }, (i) => {
    if (i.State?.Restarting || (i.RestartCount ?? 0) > 0)
      return `restarted (exit code ${i.State?.ExitCode}) within the monitor period`;
    if (!i.State?.Running) return `exited with code ${i.State?.ExitCode} within the monitor period`;
    since ??= Date.now();
    return Date.now() - since >= monitorMs ? 'ok' : 'wait';
  });
}

/**
 * Until healthy by the container's own healthcheck (the image's, merged into its config by the daemon), with the
 * time limit its timings give; false at once when it has none.
 */
async function waitOwnHealthcheck(client: HostClient, name: string, intervalMs: number, fallbackMs: number) {
  const hc = containerHealthcheck(await client.inspectContainer(name));
  if (!hc) return false;
  await waitHealthy(client, name, { timeoutMs: healthTimeoutMs(hc), intervalMs, fallbackMs });
  return true;
}

export async function runWait(op: WaitOperation, client: HostClient, ctx: OperationContext): Promise<string | void> {
  const interval = ctx.pollIntervalMs ?? 250;
  /** With the event stream, inspects between events only as a safety net. */
  const fallback = Math.max(interval, 1000);
  switch (op.kind) {
    case 'container.wait-healthy': {
      const p = op.params;
      const t = { timeoutMs: p.timeoutMs, intervalMs: interval, fallbackMs: fallback };
      if (p.healthcheckFrom !== 'container') return waitHealthy(client, p.name, t);
      // depends_on service_healthy on a service whose file defines no test: the image's HEALTHCHECK must.
      if (await waitOwnHealthcheck(client, p.name, interval, fallback)) return OWN_HEALTHY;
      throw new Error(
        `${p.name} has no healthcheck (neither the file nor its image defines one), so it never turns healthy; give the service a healthcheck, or depend on it with condition service_started`,
      );
    }
    case 'container.wait-running':
      return waitRunning(client, op.params.name, op.params.monitorMs, op.params.timeoutMs, interval);
    case 'container.wait-ready': {
      const p = op.params;
      // The file said nothing: the container's own config (the image's HEALTHCHECK, merged by the daemon) decides.
      if (await waitOwnHealthcheck(client, p.name, interval, fallback)) return OWN_HEALTHY;
      await waitRunning(client, p.name, p.monitorMs, p.timeoutMs, interval);
      return `running for ${p.monitorMs} ms (monitor; no healthcheck)`;
    }
    case 'rollout.barrier':
    case 'rollout.drain':
      return void (await sleep(op.params.delayMs ?? 0));
    case 'container.wait-exit': {
      const p = op.params;
      const t = { timeoutMs: p.timeoutMs, intervalMs: interval, fallbackMs: fallback };
      return waitFor(client, p.name, t, (i) => {
        if (i.State?.Running || i.State?.Restarting || i.State?.Status === 'created') return 'wait';
        return i.State?.ExitCode === 0 ? 'ok' : `exited with code ${i.State?.ExitCode}`;
      });
    }
    default:
      return unreachable(op, 'wait');
  }
}
