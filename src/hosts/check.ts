/**
 * `stack hosts check`, below the CLI: every host's Engine read in parallel (ping, version, info), then — with the
 * operator's helper image — one probe over the reachable hosts (VXLAN devices, UDP 4789 between every pair, the data
 * root's free space), then the pure verdicts (verdict.ts). Reads the hosts; the probe's containers and devices are
 * gone when it returns (or the report names what is left). Prints nothing, reads no environment.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { clientsFor, type HostClient } from '../docker/client.js';
import { DEFAULT_FAULT_SETTINGS, type FaultSettings } from '../docker/faults.js';
import { underlayOf } from '../overlay/mode.js';
import type { HostSpec } from '../stack/types.js';
import { probeEngine, systemClock, type Clock, type EngineProbe } from './engine.js';
import { probeHosts, type ProbeHost } from './probe.js';
import { MAX_PROBE_HOSTS, PROBE_VNI_FIRST, PROBE_VNI_SPAN, probeRun } from './probe-scripts.js';
import type { HostsCheckReport, NetworkNeeds, ProbeResult } from './types.js';
import { buildReport, type HostInputs } from './verdict.js';

export interface HostsCheckOptions {
  needs: NetworkNeeds;
  /** The operator's overlay helper image (pinned by digest); without it no probe runs. */
  helperImage?: string;
  /** Time limit of each Engine call and of each probe step on one host, ms. */
  timeoutMs: number;
  /** Clients to use (tests); default: one per host with the time limit and one retry. */
  clients?: ReadonlyMap<string, HostClient>;
  clock?: Clock;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

/** The fault settings of the check: its time limit on every call, one retry, none for an unreachable daemon. */
export function checkFaults(timeoutMs: number): FaultSettings {
  return {
    ...DEFAULT_FAULT_SETTINGS,
    readTimeoutMs: timeoutMs,
    writeTimeoutMs: timeoutMs,
    retries: 1,
    unreachableRetries: 0,
  };
}

export async function checkHosts(hosts: readonly HostSpec[], options: HostsCheckOptions): Promise<HostsCheckReport> {
  const clients = options.clients ?? clientsFor(hosts, checkFaults(options.timeoutMs));
  const engines = await Promise.all(hosts.map((h) => probeEngine(clients.get(h.name)!, options.clock ?? systemClock)));
  const underlays = hosts.map((h) => underlayOf(h));
  const reachable = hosts.filter((_, i) => !engines[i].error);
  const skipped = probeSkipped(options.helperImage, reachable.length);
  let probed: { results: Record<string, ProbeResult>; leftovers: string[] } = { results: {}, leftovers: [] };
  if (!skipped && options.helperImage) {
    const probeHostsList: ProbeHost[] = hosts.flatMap((h, i) =>
      engines[i].error ? [] : [probeHost(h, clients.get(h.name)!, underlays[i].address, engines[i])],
    );
    const run = probeRun(randomBytes(3).toString('hex'), PROBE_VNI_FIRST + randomInt(PROBE_VNI_SPAN));
    probed = await probeHosts(probeHostsList, { image: options.helperImage, run, timeoutMs: options.timeoutMs });
  }
  const inputs: HostInputs[] = hosts.map((spec, i) => ({
    spec,
    engine: engines[i],
    ...(probed.results[spec.name] ? { probe: probed.results[spec.name] } : {}),
    ...(underlays[i].address ? { underlay: underlays[i].address } : {}),
  }));
  return buildReport({
    hosts: inputs,
    needs: options.needs,
    ...(options.helperImage ? { helperImage: options.helperImage } : {}),
    ...(skipped ? { probeSkipped: skipped } : {}),
    leftovers: probed.leftovers,
  });
}

function probeSkipped(helperImage: string | undefined, reachable: number): string | undefined {
  if (!helperImage) return 'no overlay helper image (overlay.helper_image in the inventory, or --overlay-helper-image)';
  if (!reachable) return 'no host is reachable';
  if (reachable > MAX_PROBE_HOSTS) return `more than ${MAX_PROBE_HOSTS} hosts`;
  return undefined;
}

function probeHost(
  spec: HostSpec,
  client: HostClient,
  underlay: ProbeHost['underlay'],
  engine: EngineProbe,
): ProbeHost {
  return {
    name: spec.name,
    client,
    ...(underlay ? { underlay } : {}),
    ...(engine.engine?.dataRoot ? { dataRoot: engine.engine.dataRoot } : {}),
  };
}
