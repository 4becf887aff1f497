/**
 * The executor walks the plan's DAG and makes no decisions: it dispatches on the operation kind, runs
 * writes through a per-host and a global p-queue, and emits events to a reporter. A failed operation
 * skips its dependents only (with the root cause); independent services and other hosts finish.
 * When an operation of a replace group fails or is skipped after the group began, the group's
 * compensation runs (start the old container again, remove the new one).
 *
 * Faults: a host whose daemon cannot be reached is marked lost (lost-hosts.ts) and gets no more
 * operations; they are skipped with that failure as root cause. An interruption (interruption.ts)
 * starts nothing new, lets operations in flight finish, and on its hard signal returns at once with
 * outcome `interrupted`.
 */
import PQueue from 'p-queue';
import type { HostClient, CallCounts } from '../docker/client.js';
import type { RegistryCredentials } from '../docker/auth.js';
import { tar } from '../docker/tar.js';
import { registryOf } from '../docker/image-ref.js';
import { unreachable, type Operation, type Plan } from '../plan/types.js';
import { LostHosts, type LostHost } from './lost-hosts.js';
import type { OverlayStore } from '../overlay/store.js';
import { runOverlayOperation } from '../overlay/execute.js';
import { RolloutTracker, type RolloutOutcome } from './rollout.js';
import { containerHealthcheck, healthTimeoutMs } from '../plan/health.js';

export type { RolloutOutcome, RolloutFailure } from './rollout.js';

/** `interrupted`: in flight when a hard interruption ended the apply; its outcome is unknown. */
export type OpStatus = 'done' | 'failed' | 'skipped' | 'interrupted';

/** How an apply ended: every operation done, some failed or skipped, or stopped by an interruption. */
export type ApplyOutcome = 'ok' | 'failed' | 'interrupted';

/** A failure and what was skipped because of it (by operation id). */
export interface RootCause {
  op: string;
  host: string;
  error: string;
  skipped: string[];
}

export interface OpRef {
  id: string;
  kind: string;
  host: string;
  resource: string;
  cause: string;
}

export type ApplyEvent =
  | { type: 'plan'; plan: Record<string, unknown> }
  | { type: 'op-start'; op: OpRef }
  /** `detail`: what a wait decided at apply time (`container.wait-ready`: healthy, or running for monitor). */
  | { type: 'op-done'; op: OpRef; ms: number; detail?: string }
  | { type: 'op-failed'; op: OpRef; error: string; ms: number }
  | { type: 'op-skipped'; op: OpRef; reason: string }
  | { type: 'compensate'; group: string; op: OpRef; error?: string }
  | { type: 'rollback'; service: string; op: OpRef; error?: string }
  | { type: 'rollout'; outcome: RolloutOutcome }
  /** An interruption was asked for: `hard` at the second signal (or when the grace time is over). */
  | { type: 'interrupt'; reason: string; hard: boolean; graceMs: number }
  | {
      type: 'summary';
      ok: boolean;
      outcome?: ApplyOutcome;
      done: number;
      failed: number;
      skipped: number;
      calls: Record<string, CallCounts>;
      failures: { op: string; error: string }[];
      /** Each failure with the operations skipped because of it; `interrupt` for an interruption. */
      rootCauses?: RootCause[];
      /** Hosts whose daemon could not be reached during the apply. */
      lostHosts?: Record<string, LostHost>;
    };

export interface Reporter {
  event(e: ApplyEvent): void;
}

export interface ApplyOptions {
  clients: ReadonlyMap<string, HostClient>;
  hostConcurrency: number;
  globalConcurrency: number;
  /** The bytes of a secret or config (`secret:KEY`, `config:KEY`). */
  contents: (ref: string) => Buffer;
  reporter?: Reporter;
  pollIntervalMs?: number;
  /** Registry credentials for pulls (only for the operator's hosts: the pipeline decides). */
  credentials?: RegistryCredentials;
  /** Interruption: start no new operation. */
  signal?: AbortSignal;
  /** Hard interruption: return at once, without waiting for operations in flight. */
  hardSignal?: AbortSignal;
  /** Consul, for the operations of stack's own overlay (`overlay.*`). */
  overlayStore?: OverlayStore;
}

export interface ApplyResult {
  ok: boolean;
  outcome: ApplyOutcome;
  status: Record<string, OpStatus>;
  failures: { op: string; error: string }[];
  rootCauses: RootCause[];
  lostHosts: Record<string, LostHost>;
  calls: Record<string, CallCounts>;
  /** Per service with a rolling update: completed, paused, rolled back…, with the failed replicas and why. */
  rollouts: Record<string, RolloutOutcome>;
}

/** Thrown inside a queued task that must not start (host lost, interrupted): the op is skipped. */
class NotStarted extends Error {
  constructor(
    readonly reason: string,
    readonly root: string,
  ) {
    super(reason);
  }
}

const ref = (op: Operation): OpRef => ({
  id: op.id,
  kind: op.kind,
  host: op.host,
  resource: op.resource,
  cause: op.cause,
});
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
type Obj = Record<string, any>;

/**
 * Waits for a container until `check` says ok (or names a failure): inspects it, then inspects again at
 * the next event the daemon reports about it (its event stream; see docker/container-events.ts) or
 * after `fallbackMs`, whichever comes first. Without an event stream (it could not be opened) it
 * inspects every `intervalMs`. On timeout, `pending` says what the last inspect showed.
 */
async function waitFor(
  client: HostClient,
  name: string,
  timeoutMs: number,
  intervalMs: number,
  fallbackMs: number,
  check: (i: Obj) => 'ok' | 'wait' | string,
  pending?: (i: Obj) => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const events = await Promise.resolve()
    .then(() => client.watchContainer(name))
    .catch(() => undefined);
  try {
    for (;;) {
      const inspected = await client.inspectContainer(name);
      const verdict = check(inspected);
      if (verdict === 'ok') return;
      if (verdict !== 'wait') throw new Error(`${name}: ${verdict}`);
      const left = deadline - Date.now();
      if (left < 0)
        throw new Error(
          `${name}: timed out after ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)}s`}${pending ? ` (${pending(inspected)})` : ''}`,
        );
      if (events) await events.next(Math.min(fallbackMs, left + 1));
      else await sleep(intervalMs);
    }
  } finally {
    events?.close();
  }
}

/** Until the container is healthy; exited or unhealthy fail it at once. */
function waitHealthy(
  client: HostClient,
  name: string,
  timeoutMs: number,
  intervalMs: number,
  fallbackMs: number,
): Promise<void> {
  return waitFor(
    client,
    name,
    timeoutMs,
    intervalMs,
    fallbackMs,
    (i) => {
      const health = i.State?.Health?.Status;
      if (health === 'healthy') return 'ok';
      // A container that exited is reported as such, even when the engine also marked it unhealthy.
      if (!i.State?.Running && !i.State?.Restarting)
        return `exited with code ${i.State?.ExitCode} before it was healthy`;
      if (health === 'unhealthy') {
        const last = i.State.Health.Log?.at(-1);
        return `unhealthy (last check exit ${last?.ExitCode ?? '?'}: ${last?.Output?.trim() || 'no output'})`;
      }
      return 'wait';
    },
    (i) => `never healthy: health ${i.State?.Health?.Status ?? 'unknown'}`,
  );
}

/** Until the container has kept running, without a restart, for `monitorMs`. */
function waitRunning(
  client: HostClient,
  name: string,
  monitorMs: number,
  timeoutMs: number,
  intervalMs: number,
): Promise<void> {
  // Counted from the first poll that sees it running (local clock): no clock skew with the daemon.
  let since: number | undefined;
  // Checked every `interval` as before (the monitor period is counted by this clock); events wake it sooner.
  return waitFor(client, name, timeoutMs, intervalMs, intervalMs, (i) => {
    if (i.State?.Restarting || (i.RestartCount ?? 0) > 0)
      return `restarted (exit code ${i.State?.ExitCode}) within the monitor period`;
    if (!i.State?.Running) return `exited with code ${i.State?.ExitCode} within the monitor period`;
    since ??= Date.now();
    return Date.now() - since >= monitorMs ? 'ok' : 'wait';
  });
}

const OWN_HEALTHY = "healthy (its image's healthcheck)";

/**
 * Until healthy by the container's own healthcheck (the image's, merged into its config by the daemon), with the
 * time limit its timings give; false at once when it has none.
 */
async function waitOwnHealthcheck(
  client: HostClient,
  name: string,
  intervalMs: number,
  fallbackMs: number,
): Promise<boolean> {
  const hc = containerHealthcheck(await client.inspectContainer(name));
  if (!hc) return false;
  await waitHealthy(client, name, healthTimeoutMs(hc), intervalMs, fallbackMs);
  return true;
}

/**
 * Runs one operation: exactly one Engine call (waits poll with reads). A wait whose gate is decided from the
 * container (`container.wait-ready`) returns what it waited for.
 */
export async function runOperation(
  op: Operation,
  client: HostClient,
  options: Pick<ApplyOptions, 'contents' | 'pollIntervalMs' | 'credentials' | 'overlayStore'>,
): Promise<string | void> {
  const interval = options.pollIntervalMs ?? 250;
  /** With the event stream, inspects between events only as a safety net. */
  const fallback = Math.max(interval, 1000);
  switch (op.kind) {
    case 'image.pull':
      return client.pull(op.params.image, options.credentials?.(registryOf(op.params.image)));
    case 'network.create':
      return client.createNetwork(op.params.body);
    case 'network.remove':
      return client.removeNetwork(op.params.name);
    case 'volume.create':
      return client.createVolume(op.params.body);
    case 'volume.remove':
      return client.removeVolume(op.params.name);
    case 'container.create':
      return void (await client.createContainer(op.params.name, op.params.body));
    case 'network.connect':
      return client.connectNetwork(op.params.network, op.params.body);
    case 'network.disconnect':
      return client.disconnectNetwork(op.params.network, op.params.container);
    case 'container.start':
      return client.start(op.params.name);
    case 'container.stop':
      return client.stop(op.params.name, op.params.timeoutSeconds);
    case 'container.remove':
      return client.remove(op.params.name, { force: op.params.force, volumes: op.params.volumes });
    case 'container.rename':
      return client.rename(op.params.name, op.params.newName);
    case 'container.update':
      return client.update(op.params.name, op.params.body);
    case 'archive.put': {
      const a = op.params;
      const archive = tar(
        a.files.map((f) => ({ name: f.name, content: options.contents(f.ref), mode: f.mode, uid: f.uid, gid: f.gid })),
      );
      return client.putArchive(a.container, a.path, archive);
    }
    case 'container.wait-healthy': {
      const p = op.params;
      if (p.healthcheckFrom !== 'container') return waitHealthy(client, p.name, p.timeoutMs, interval, fallback);
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
      return waitFor(client, p.name, p.timeoutMs, interval, fallback, (i) => {
        if (i.State?.Running || i.State?.Restarting || i.State?.Status === 'created') return 'wait';
        return i.State?.ExitCode === 0 ? 'ok' : `exited with code ${i.State?.ExitCode}`;
      });
    }
    case 'overlay.allocate':
    case 'overlay.bridge':
    case 'overlay.program':
    case 'overlay.unprogram':
    case 'overlay.release':
    case 'overlay.register':
    case 'overlay.deregister':
      return runOverlayOperation(op, client, options.overlayStore);
    default:
      return unreachable(op, 'operation');
  }
}

export async function apply(plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  const emit = (e: ApplyEvent) => options.reporter?.event(e);
  const global = new PQueue({ concurrency: Math.max(1, options.globalConcurrency) });
  const perHost = new Map<string, PQueue>();
  const queueFor = (host: string) => {
    let q = perHost.get(host);
    if (!q) perHost.set(host, (q = new PQueue({ concurrency: Math.max(1, options.hostConcurrency) })));
    return q;
  };
  const status: Record<string, OpStatus> = {};
  const rootCause = new Map<string, string>();
  const failures: { op: string; error: string }[] = [];
  const dependents = new Map<string, Operation[]>();
  const waiting = new Map<string, number>();
  /** Ops that wait for another to settle, whatever its outcome (`after`: rollout batch barriers). */
  const afterDependents = new Map<string, Operation[]>();
  for (const op of plan.operations) {
    waiting.set(op.id, op.deps.length + (op.after?.length ?? 0));
    for (const d of op.deps) dependents.set(d, [...(dependents.get(d) ?? []), op]);
    for (const a of op.after ?? []) afterDependents.set(a, [...(afterDependents.get(a) ?? []), op]);
  }
  const lost = new LostHosts();
  const started = new Set<string>();
  const groupsBegun = new Set<string>();
  const compensated = new Map<string, Promise<void>>();
  const compensations: Promise<void>[] = [];
  const rollouts = new RolloutTracker(plan);
  const rolloutOutcomes: Record<string, RolloutOutcome> = {};

  const compensate = (group: string) => {
    if (compensated.has(group) || !groupsBegun.has(group)) return;
    const c = plan.compensations.find((x) => x.group === group);
    if (!c) return;
    // Once the old container is removed there is nothing to start again, and removing the new one
    // would leave the slot empty: leave it; the next apply finds the temporary one and finishes.
    const oldRemoved = plan.operations.some(
      (o) => o.group === group && o.kind === 'container.remove' && status[o.id] === 'done',
    );
    if (oldRemoved) {
      for (const op of c.ops)
        emit({
          type: 'compensate',
          group,
          op: ref(op),
          error: 'not run: the old container is already removed; the next apply completes the replace',
        });
      return;
    }
    const work = (async () => {
      for (const op of c.ops) {
        // An undo step runs only when the step it undoes succeeded.
        if (op.ifDone && status[op.ifDone] !== 'done') continue;
        const client = options.clients.get(op.host)!;
        const gone = lost.get(op.host);
        if (gone || options.hardSignal?.aborted) {
          emit({ type: 'compensate', group, op: ref(op), error: gone ? `host ${op.host} lost` : 'interrupted' });
          continue;
        }
        try {
          await queueFor(op.host).add(() => global.add(() => runOperation(op, client, options)));
          emit({ type: 'compensate', group, op: ref(op) });
        } catch (err) {
          emit({ type: 'compensate', group, op: ref(op), error: err instanceof Error ? err.message : String(err) });
        }
      }
    })();
    compensated.set(group, work);
    compensations.push(work);
  };
  /** Runs a rollback step of a rollout through the queues; a lost host or a hard stop fails it. */
  const runRollbackStep = async (op: Operation) => {
    const gone = lost.get(op.host);
    if (gone) throw new Error(`host ${op.host} lost`);
    if (options.hardSignal?.aborted) throw new Error('interrupted');
    const client = options.clients.get(op.host)!;
    // Waits (healthy, running for monitor) hold no concurrency slot.
    if (!op.write) return void (await runOperation(op, client, options));
    await queueFor(op.host).add(() => global.add(() => runOperation(op, client, options)));
  };
  /** rollback_config.delay between rollback batches; a hard stop ends it at once. */
  const rollbackDelay = (ms: number) =>
    new Promise<void>((resolve) => {
      if (options.hardSignal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        options.hardSignal?.removeEventListener('abort', done);
        resolve();
      }
      options.hardSignal?.addEventListener('abort', done, { once: true });
    });

  return new Promise<ApplyResult>((resolveAll) => {
    let remaining = plan.operations.length;
    let finished = false;
    const finish = async (hard = false) => {
      if (finished) return;
      if (!hard) await Promise.race([Promise.all(compensations), hardStop]);
      if (finished) return;
      finished = true;
      if (options.hardSignal?.aborted)
        for (const op of plan.operations)
          if (!status[op.id]) status[op.id] = started.has(op.id) ? 'interrupted' : 'skipped';
      const calls = Object.fromEntries([...options.clients].map(([h, c]) => [h, { ...c.counts }]));
      const count = (s: OpStatus) => Object.values(status).filter((x) => x === s).length;
      const interrupted = !!options.signal?.aborted || !!options.hardSignal?.aborted;
      const ok = failures.length === 0 && count('skipped') === 0 && count('interrupted') === 0;
      const outcome: ApplyOutcome = ok ? 'ok' : interrupted ? 'interrupted' : 'failed';
      const roots = new Map<string, RootCause>();
      for (const f of failures)
        roots.set(f.op, { op: f.op, host: byId.get(f.op)?.host ?? '', error: f.error, skipped: [] });
      for (const [id, root] of rootCause) {
        if (status[id] !== 'skipped') continue;
        if (!roots.has(root))
          roots.set(root, {
            op: root,
            host: '',
            error: root === 'interrupt' ? 'interrupted' : `${root} failed`,
            skipped: [],
          });
        roots.get(root)!.skipped.push(id);
      }
      const rootCauses = [...roots.values()];
      const lostHosts = lost.entries();
      emit({
        type: 'summary',
        ok,
        outcome,
        done: count('done'),
        failed: count('failed'),
        skipped: count('skipped') + count('interrupted'),
        calls,
        failures,
        rootCauses,
        lostHosts,
      });
      resolveAll({ ok, outcome, status, failures, rootCauses, lostHosts, calls, rollouts: rolloutOutcomes });
    };
    const byId = new Map(plan.operations.map((op) => [op.id, op]));
    const hardStop = new Promise<void>((r) => {
      if (options.hardSignal?.aborted) r();
      options.hardSignal?.addEventListener('abort', () => r(), { once: true });
    });
    void hardStop.then(() => finish(true));
    const settle = (op: Operation, s: OpStatus, cause?: string) => {
      if (finished || status[op.id]) return;
      status[op.id] = s;
      if (s === 'skipped' && cause) rootCause.set(op.id, cause);
      remaining--;
      if (s !== 'done' && op.group) compensate(op.group);
      const finishing = rollouts.settled(op, {
        run: runRollbackStep,
        compensation: (g) => compensated.get(g),
        status: (id) => status[id],
        rollbackStep: (service, step, error) =>
          emit({ type: 'rollback', service, op: ref(step), ...(error ? { error } : {}) }),
        delay: rollbackDelay,
      });
      if (finishing)
        compensations.push(
          finishing.then((o) => {
            rolloutOutcomes[o.service] = o;
            emit({ type: 'rollout', outcome: o });
          }),
        );
      for (const next of afterDependents.get(op.id) ?? []) {
        if (status[next.id]) continue;
        const left = waiting.get(next.id)! - 1;
        waiting.set(next.id, left);
        if (left === 0) dispatch(next);
      }
      for (const next of dependents.get(op.id) ?? []) {
        if (status[next.id]) continue;
        if (s !== 'done') {
          const root = cause ?? op.id;
          rootCause.set(next.id, root);
          emit({ type: 'op-skipped', op: ref(next), reason: root === 'interrupt' ? 'interrupted' : `${root} failed` });
          settle(next, 'skipped', root);
          continue;
        }
        const left = waiting.get(next.id)! - 1;
        waiting.set(next.id, left);
        if (left === 0) dispatch(next);
      }
      if (remaining === 0) void finish();
    };
    /** Why an op must not start now, if it must not. */
    const mustNotStart = (op: Operation): NotStarted | undefined => {
      if (options.signal?.aborted || options.hardSignal?.aborted) return new NotStarted('interrupted', 'interrupt');
      const gone = lost.get(op.host);
      if (gone) return new NotStarted(`host ${op.host} lost: ${gone.error}`, gone.op);
      const halted = rollouts.skip(op);
      if (halted) return new NotStarted(halted.reason, halted.root);
      return undefined;
    };
    const dispatch = (op: Operation) => {
      const client = options.clients.get(op.host);
      const run = async () => {
        const no = mustNotStart(op);
        if (no) throw no;
        if (op.kind === 'rollout.barrier') {
          // After the previous batch, once its failed replicas were put back; no Engine call.
          await Promise.all(
            (op.after ?? []).map((a) => byId.get(a)?.group).map((g) => (g ? compensated.get(g) : undefined)),
          );
          const again = mustNotStart(op);
          if (again) throw again;
          started.add(op.id);
          emit({ type: 'op-start', op: ref(op) });
          return runOperation(op, client!, options);
        }
        if (!client) throw new Error(`no client for host ${op.host}`);
        if (op.group) groupsBegun.add(op.group);
        started.add(op.id);
        emit({ type: 'op-start', op: ref(op) });
        try {
          return await runOperation(op, client, options);
        } catch (err) {
          // Noted before the queue starts the host's next task, so that one is already skipped.
          lost.note(op.host, op.id, err);
          throw err;
        }
      };
      const t0 = Date.now();
      const task = op.write ? queueFor(op.host).add(() => global.add(run)) : run();
      task.then(
        (detail) => {
          if (finished) return;
          emit({
            type: 'op-done',
            op: ref(op),
            ms: Date.now() - t0,
            ...(typeof detail === 'string' ? { detail } : {}),
          });
          settle(op, 'done');
        },
        (err: unknown) => {
          if (finished) return;
          if (err instanceof NotStarted) {
            emit({ type: 'op-skipped', op: ref(op), reason: err.reason });
            return settle(op, 'skipped', err.root);
          }
          const error = err instanceof Error ? err.message : String(err);
          failures.push({ op: op.id, error });
          rollouts.failed(op, error);
          emit({ type: 'op-failed', op: ref(op), error, ms: Date.now() - t0 });
          settle(op, 'failed');
        },
      );
    };
    if (remaining === 0) return void finish();
    for (const op of plan.operations) if (waiting.get(op.id) === 0) dispatch(op);
  });
}

/** The bytes of secrets and configs of a desired state, by plan reference. */
export function contentsOf(desired: {
  secrets: Record<string, { content?: Buffer }>;
  configs: Record<string, { content?: Buffer }>;
}): (ref: string) => Buffer {
  return (r: string) => {
    const [kind, key] = [r.slice(0, r.indexOf(':')), r.slice(r.indexOf(':') + 1)];
    const obj = kind === 'secret' ? desired.secrets[key] : desired.configs[key];
    if (!obj?.content) throw new Error(`no content for ${r}`);
    return obj.content;
  };
}
