/**
 * The executor walks the plan's DAG and makes no decisions: it dispatches on the operation kind, runs
 * writes through a per-host and a global p-queue, and emits events to a reporter. A failed operation
 * skips its dependents only (with the root cause); independent services and other hosts finish.
 * When an operation of a replace group fails or is skipped after the group began, the group's
 * compensation runs (start the old container again, remove the new one).
 */
import PQueue from 'p-queue';
import type { HostClient, CallCounts } from '../docker/client.js';
import { registryAuth } from '../docker/auth.js';
import { tar } from '../docker/tar.js';
import { registryOf } from '../plan/config.js';
import type { ArchiveParams, Operation, Plan } from '../plan/types.js';

export type OpStatus = 'done' | 'failed' | 'skipped';

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
  | { type: 'op-done'; op: OpRef; ms: number }
  | { type: 'op-failed'; op: OpRef; error: string; ms: number }
  | { type: 'op-skipped'; op: OpRef; reason: string }
  | { type: 'compensate'; group: string; op: OpRef; error?: string }
  | { type: 'summary'; ok: boolean; done: number; failed: number; skipped: number; calls: Record<string, CallCounts>; failures: { op: string; error: string }[] };

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
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export interface ApplyResult {
  ok: boolean;
  status: Record<string, OpStatus>;
  failures: { op: string; error: string }[];
  calls: Record<string, CallCounts>;
}

const ref = (op: Operation): OpRef => ({ id: op.id, kind: op.kind, host: op.host, resource: op.resource, cause: op.cause });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Obj = Record<string, any>;

async function poll(client: HostClient, name: string, timeoutMs: number, interval: number, check: (i: Obj) => 'ok' | 'wait' | string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const verdict = check(await client.inspectContainer(name));
    if (verdict === 'ok') return;
    if (verdict !== 'wait') throw new Error(`${name}: ${verdict}`);
    if (Date.now() > deadline) throw new Error(`${name}: timed out after ${Math.round(timeoutMs / 1000)}s`);
    await sleep(interval);
  }
}

/** Runs one operation: exactly one Engine call (waits poll with reads). */
export async function runOperation(op: Operation, client: HostClient, options: Pick<ApplyOptions, 'contents' | 'pollIntervalMs' | 'env'>): Promise<void> {
  const p = op.params as Obj;
  const interval = options.pollIntervalMs ?? 250;
  switch (op.kind) {
    case 'image.pull':
      return client.pull(p.image, registryAuth(registryOf(p.image), options.env));
    case 'network.create':
      return client.createNetwork(p.body);
    case 'network.remove':
      return client.removeNetwork(p.name);
    case 'volume.create':
      return client.createVolume(p.body);
    case 'volume.remove':
      return client.removeVolume(p.name);
    case 'container.create':
      return void (await client.createContainer(p.name, p.body));
    case 'network.connect':
      return client.connectNetwork(p.network, p.body);
    case 'container.start':
      return client.start(p.name);
    case 'container.stop':
      return client.stop(p.name, p.timeoutSeconds);
    case 'container.remove':
      return client.remove(p.name, { force: p.force, volumes: p.volumes });
    case 'container.rename':
      return client.rename(p.name, p.newName);
    case 'container.update':
      return client.update(p.name, p.body);
    case 'archive.put': {
      const a = op.params as unknown as ArchiveParams;
      const archive = tar(a.files.map((f) => ({ name: f.name, content: options.contents(f.ref), mode: f.mode, uid: f.uid, gid: f.gid })));
      return client.putArchive(a.container, a.path, archive);
    }
    case 'container.wait-healthy':
      return poll(client, p.name, p.timeoutMs, interval, (i) => {
        const health = i.State?.Health?.Status;
        if (health === 'healthy') return 'ok';
        if (health === 'unhealthy') return `unhealthy (${i.State.Health.Log?.at(-1)?.Output?.trim() ?? 'no output'})`;
        if (!i.State?.Running && !i.State?.Restarting) return `exited with code ${i.State?.ExitCode} before it was healthy`;
        return 'wait';
      });
    case 'container.wait-exit':
      return poll(client, p.name, p.timeoutMs, interval, (i) => {
        if (i.State?.Running || i.State?.Restarting || i.State?.Status === 'created') return 'wait';
        return i.State?.ExitCode === 0 ? 'ok' : `exited with code ${i.State?.ExitCode}`;
      });
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
  for (const op of plan.operations) {
    waiting.set(op.id, op.deps.length);
    for (const d of op.deps) dependents.set(d, [...(dependents.get(d) ?? []), op]);
  }
  const groupsBegun = new Set<string>();
  const compensated = new Set<string>();
  const compensations: Promise<void>[] = [];

  const compensate = (group: string) => {
    if (compensated.has(group) || !groupsBegun.has(group)) return;
    compensated.add(group);
    const c = plan.compensations.find((x) => x.group === group);
    if (!c) return;
    compensations.push(
      (async () => {
        for (const op of c.ops) {
          const client = options.clients.get(op.host)!;
          try {
            await queueFor(op.host).add(() => global.add(() => runOperation(op, client, options)));
            emit({ type: 'compensate', group, op: ref(op) });
          } catch (err) {
            emit({ type: 'compensate', group, op: ref(op), error: err instanceof Error ? err.message : String(err) });
          }
        }
      })(),
    );
  };

  return new Promise<ApplyResult>((resolveAll) => {
    let remaining = plan.operations.length;
    const finish = async () => {
      await Promise.all(compensations);
      const calls = Object.fromEntries([...options.clients].map(([h, c]) => [h, { ...c.counts }]));
      const count = (s: OpStatus) => Object.values(status).filter((x) => x === s).length;
      const ok = failures.length === 0 && count('skipped') === 0;
      emit({ type: 'summary', ok, done: count('done'), failed: count('failed'), skipped: count('skipped'), calls, failures });
      resolveAll({ ok, status, failures, calls });
    };
    const settle = (op: Operation, s: OpStatus, cause?: string) => {
      status[op.id] = s;
      remaining--;
      if (s !== 'done' && op.group) compensate(op.group);
      for (const next of dependents.get(op.id) ?? []) {
        if (status[next.id]) continue;
        if (s !== 'done') {
          const root = cause ?? op.id;
          rootCause.set(next.id, root);
          emit({ type: 'op-skipped', op: ref(next), reason: `${root} failed` });
          settle(next, 'skipped', root);
          continue;
        }
        const left = waiting.get(next.id)! - 1;
        waiting.set(next.id, left);
        if (left === 0) dispatch(next);
      }
      if (remaining === 0) void finish();
    };
    const dispatch = (op: Operation) => {
      if (options.signal?.aborted) {
        emit({ type: 'op-skipped', op: ref(op), reason: 'interrupted' });
        return settle(op, 'skipped', 'interrupt');
      }
      const client = options.clients.get(op.host);
      const run = async () => {
        if (!client) throw new Error(`no client for host ${op.host}`);
        if (op.group) groupsBegun.add(op.group);
        emit({ type: 'op-start', op: ref(op) });
        return runOperation(op, client, options);
      };
      const started = Date.now();
      const task = op.write ? queueFor(op.host).add(() => global.add(run)) : run();
      task.then(
        () => {
          emit({ type: 'op-done', op: ref(op), ms: Date.now() - started });
          settle(op, 'done');
        },
        (err: unknown) => {
          const error = err instanceof Error ? err.message : String(err);
          failures.push({ op: op.id, error });
          emit({ type: 'op-failed', op: ref(op), error, ms: Date.now() - started });
          settle(op, 'failed');
        },
      );
    };
    if (remaining === 0) return void finish();
    for (const op of plan.operations) if (op.deps.length === 0) dispatch(op);
  });
}

/** The bytes of secrets and configs of a desired state, by plan reference. */
export function contentsOf(desired: { secrets: Record<string, { content?: Buffer }>; configs: Record<string, { content?: Buffer }> }): (ref: string) => Buffer {
  return (r: string) => {
    const [kind, key] = [r.slice(0, r.indexOf(':')), r.slice(r.indexOf(':') + 1)];
    const obj = kind === 'secret' ? desired.secrets[key] : desired.configs[key];
    if (!obj?.content) throw new Error(`no content for ${r}`);
    return obj.content;
  };
}
