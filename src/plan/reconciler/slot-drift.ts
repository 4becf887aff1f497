/**
 * A replica whose config is unchanged: only the drift the list or --refresh shows is corrected — a restart
 * policy changed outside stack, a network disconnected, a replica stopped. Pure.
 */
import { hookNote, postStartParams } from '../lifecycle.js';
import type { ObservedContainer } from '../../observe/types.js';
import type { FieldChange } from '../types.js';
import { endpointConfig } from '../engine.js';
import { keptName } from '../rollout/types.js';
import type { Reconciler, ReplicaRecord } from './context.js';
import { ensureNetwork } from './shared-resources.js';
import { removeDuplicates } from './slot-duplicates.js';
import type { Slot } from './slot.js';

/** What the drift phase found, in the order it is shown. */
interface Drift {
  fields: FieldChange[];
  causes: string[];
  /** The last op added, which the next one waits for. */
  last: string | undefined;
  /** A replace or rollback interrupted on this slot (a temporary or kept container is left). */
  interrupted: boolean;
  why: (what: string) => string;
}

export function correctDrift(r: Reconciler, sl: Slot, current: ObservedContainer): void {
  const { host, final, resource, svc } = sl;
  const rec: ReplicaRecord = { host, name: final, observed: current };
  const rt = current.runtime;
  // What the list shows is enough to see that an interrupted replica is stopped or off a network: no --refresh needed.
  const interrupted = sl.hs.containerNames.has(sl.tmp) || sl.hs.containerNames.has(keptName(final));
  const why = (what: string) => (rt ? `${what} outside stack` : `${what} by an interrupted run`);
  const d: Drift = { fields: [], causes: [], last: undefined, interrupted, why };
  restartPolicyDrift(r, sl, current, d);
  networkDrift(r, sl, current, d);
  startIfStopped(r, sl, current, d, rec);
  if (d.causes.length)
    r.b.change({
      host,
      type: 'container',
      resource,
      service: svc.name,
      name: final,
      action: 'update',
      cause: d.causes.join('; '),
      fields: d.fields,
    });
  svc.records.push(rec);
  removeDuplicates(r, sl, current, true);
}

function restartPolicyDrift(r: Reconciler, sl: Slot, current: ObservedContainer, d: Drift): void {
  const rt = current.runtime;
  if (!rt) return;
  const wantRestart = restartOf(sl);
  const [wName, wRetries] = wantRestart.split(':');
  const haveRestart =
    rt.restartPolicy.name === 'on-failure' && rt.restartPolicy.maximumRetryCount > 0
      ? `on-failure:${rt.restartPolicy.maximumRetryCount}`
      : rt.restartPolicy.name || 'no';
  if (haveRestart === wantRestart) return;
  const cause = 'restart policy changed outside stack';
  d.last = r.b.add('container.update', sl.host, `update ${sl.final}`, sl.resource, cause, [], {
    name: sl.final,
    body: { RestartPolicy: { Name: wName, MaximumRetryCount: Number(wRetries ?? 0) } },
  });
  d.fields.push({ path: 'restart', before: haveRestart, after: wantRestart });
  d.causes.push(cause);
}

function networkDrift(r: Reconciler, sl: Slot, current: ObservedContainer, d: Drift): void {
  const attached = current.runtime?.networks ?? (d.interrupted ? current.networks : undefined);
  if (!attached) return;
  const { host, final } = sl;
  const nets = (sl.svc.sc.config.networks as Record<string, Record<string, unknown>>) ?? {};
  for (const [net, cfg] of Object.entries(nets)) {
    if (attached.includes(net)) continue;
    const key = Object.keys(r.desired.networks).find((k) => r.desired.networks[k].name === net) ?? net;
    d.last = r.b.add(
      'network.connect',
      host,
      `connect ${final} ${net}`,
      sl.resource,
      d.why('disconnected'),
      [d.last, ensureNetwork(r, host, key)],
      { network: net, container: final, body: { Container: final, EndpointConfig: endpointConfig(cfg) } },
    );
    d.fields.push({ path: `networks.${net}`, before: '(disconnected)', after: '(connected)' });
    d.causes.push(d.why('network disconnected'));
  }
}

/** The restart policy the config asks for (`no` when it says nothing). */
function restartOf(sl: Slot): string {
  const restart = sl.svc.sc.config.restart;
  return typeof restart === 'string' ? restart : 'no';
}

function shouldRun(c: ObservedContainer, restart: string): boolean {
  const exit = c.runtime?.exitCode ?? c.exitCode;
  const policy = restart.split(':')[0];
  return !(exit === 0 && (policy === 'no' || policy === 'on-failure'));
}

/**
 * Stopped replicas show in the list (state exited): started again, as `compose up` does, unless the replica
 * completed (exit 0 under restart no/on-failure). One stopped by an interrupted replace or rollback of this slot
 * is started whatever its exit code (stack stopped it; a TERM handler exits 0). --refresh adds what only an
 * inspect shows.
 */
function startIfStopped(r: Reconciler, sl: Slot, current: ObservedContainer, d: Drift, rec: ReplicaRecord): void {
  const rt = current.runtime;
  const stopped = rt ? !rt.running && current.state !== 'paused' : current.state === 'exited';
  const mustStart = current.state === 'created' || (stopped && (d.interrupted || shouldRun(current, restartOf(sl))));
  if (!mustStart) return;
  const cause =
    current.state === 'created'
      ? 'created but never started'
      : rt || d.interrupted
        ? d.why('stopped')
        : `stopped (exit ${current.exitCode ?? '?'})`;
  rec.started = r.b.add(
    'container.start',
    sl.host,
    `start ${sl.final}${hookNote('post_start', sl.svc.s)}`,
    sl.resource,
    cause,
    [d.last, ...sl.svc.gates()],
    { name: sl.final, ...postStartParams(sl.svc.s) },
  );
  rec.final = rec.started;
  d.fields.push({
    path: 'state',
    before: rt && !rt.running ? `exited (${rt.exitCode})` : current.state,
    after: 'running',
  });
  d.causes.push(cause);
}
