/**
 * The probe over all reachable hosts at once (probe-scripts.ts says how it proves VXLAN and UDP 4789), in steps
 * every host finishes before the next starts: start a probe container on each host; make the devices and read the
 * data root's free space; send; read the counters; end every container. A host whose step fails drops out of the
 * later steps and the paths to and from it are `untested` with why; the others go on.
 */
import type { HostClient } from '../docker/client.js';
import type { DeviceName, Ipv4 } from '../overlay/values.js';
import { ProbeContainer } from './probe-container.js';
import {
  dfCommand,
  mainCommand,
  parseCounters,
  parseDf,
  probeDevice,
  readCommand,
  sendCommand,
  setupCommand,
  type ProbeRun,
} from './probe-scripts.js';
import type { DiskSpace, Outcome, ProbeResult, UdpPath } from './types.js';

export interface ProbeHost {
  name: string;
  client: HostClient;
  /** Its underlay address; without one it cannot take part in the VXLAN probe (disk space is still read). */
  underlay?: Ipv4;
  /** The daemon's data root (validated), for df. */
  dataRoot?: string;
}

export interface ProbeOptions {
  image: string;
  run: ProbeRun;
  /** Time limit of each step on one host, ms. */
  timeoutMs: number;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const brief = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 300);

/** One host's state through the steps. */
interface Probing {
  host: ProbeHost;
  /** Index among the hosts that take part in the VXLAN probe (those with an underlay address). */
  index?: number;
  probe?: ProbeContainer;
  vxlan: Outcome<null>;
  disk: Outcome<DiskSpace>;
  /** Why this host's frames were not sent, when they were not. */
  sendError?: string;
  counters?: Record<string, number>;
}

/** Runs the probe; returns each host's result and what could not be undone (empty when nothing was left). */
export async function probeHosts(
  hosts: readonly ProbeHost[],
  options: ProbeOptions,
): Promise<{ results: Record<string, ProbeResult>; leftovers: string[] }> {
  const taking = hosts.filter((h) => h.underlay);
  const states: Probing[] = hosts.map((host) => ({
    host,
    ...(host.underlay ? { index: taking.indexOf(host) } : {}),
    vxlan: host.underlay
      ? { status: 'skipped', why: 'the probe did not start' }
      : { status: 'failed', error: 'no underlay address: give the host label stack.underlay, or a tcp:// endpoint' },
    disk: { status: 'skipped', why: 'the probe did not start' },
  }));
  const devices = taking.map((_, i) => probeDevice(options.run, i));
  const deviceNames = devices.map((d) => d.dev);
  await Promise.all(states.map((s) => startProbe(s, deviceNames, options)));
  const peersOf = (h: ProbeHost) => taking.filter((p) => p !== h).map((p) => p.underlay!);
  await Promise.all(
    states.map((s) => Promise.all([setup(s, devices, peersOf(s.host), options), readDisk(s, options)])),
  );
  await Promise.all(states.map((s) => send(s, devices, options)));
  await Promise.all(states.map((s) => readCounters(s, deviceNames, options)));
  const leftovers = await Promise.all(
    states.map(
      (s) => s.probe?.end(s.index === undefined ? [] : deviceNames, options.timeoutMs) ?? Promise.resolve(undefined),
    ),
  );
  return {
    results: Object.fromEntries(states.map((s) => [s.host.name, resultOf(s, states, devices)])),
    leftovers: leftovers.filter((l): l is string => !!l),
  };
}

/** The container's lifetime: long enough for every step, short enough that a lost run cleans up soon. */
function lifetimeSeconds(timeoutMs: number): number {
  return Math.min(3600, Math.ceil((timeoutMs * 6) / 1000) + 30);
}

async function startProbe(s: Probing, devices: DeviceName[], o: ProbeOptions): Promise<void> {
  const cmd = mainCommand(lifetimeSeconds(o.timeoutMs), s.index === undefined ? [] : devices);
  try {
    s.probe = await ProbeContainer.start(s.host.client, o.image, o.run, cmd, s.host.dataRoot, o.timeoutMs);
  } catch (err) {
    const error = `the probe container could not start: ${message(err)}`;
    if (s.index !== undefined) s.vxlan = { status: 'failed', error };
    s.disk = { status: 'failed', error };
  }
}

type Device = ReturnType<typeof probeDevice>;

async function setup(s: Probing, devices: Device[], peers: Ipv4[], o: ProbeOptions): Promise<void> {
  if (!s.probe || s.index === undefined || !s.host.underlay) return;
  const own = devices[s.index];
  const others = devices.filter((_, i) => i !== s.index);
  try {
    const r = await s.probe.exec(setupCommand(s.host.underlay, own, others, peers), o.timeoutMs);
    s.vxlan =
      r.exitCode === 0 && /^ready\r?$/m.test(r.output)
        ? { status: 'ok', value: null }
        : { status: 'failed', error: `ip link add … type vxlan failed (exit ${r.exitCode}): ${brief(r.output)}` };
  } catch (err) {
    s.vxlan = { status: 'failed', error: `making the VXLAN devices: ${message(err)}` };
  }
}

async function readDisk(s: Probing, o: ProbeOptions): Promise<void> {
  if (!s.probe) return;
  if (!s.host.dataRoot) {
    s.disk = { status: 'skipped', why: 'the daemon does not say its data root (/info DockerRootDir)' };
    return;
  }
  try {
    const r = await s.probe.exec(dfCommand(), o.timeoutMs);
    const space = r.exitCode === 0 ? parseDf(r.output, s.host.dataRoot) : undefined;
    s.disk = space
      ? { status: 'ok', value: space }
      : { status: 'failed', error: `df exited ${r.exitCode}: ${brief(r.output)}` };
  } catch (err) {
    s.disk = { status: 'failed', error: `df: ${message(err)}` };
  }
}

async function send(s: Probing, devices: Device[], o: ProbeOptions): Promise<void> {
  if (!s.probe || s.index === undefined || s.vxlan.status !== 'ok') return;
  try {
    const r = await s.probe.exec(sendCommand(devices[s.index].dev), o.timeoutMs);
    // udhcpc exits 1 when no lease comes (none can); what counts is that it broadcast.
    if (!/discover/i.test(r.output)) s.sendError = `udhcpc sent nothing (exit ${r.exitCode}): ${brief(r.output)}`;
  } catch (err) {
    s.sendError = `udhcpc: ${message(err)}`;
  }
}

async function readCounters(s: Probing, devices: DeviceName[], o: ProbeOptions): Promise<void> {
  if (!s.probe || s.index === undefined || s.vxlan.status !== 'ok') return;
  const others = devices.filter((_, i) => i !== s.index);
  if (!others.length) return;
  try {
    const r = await s.probe.exec(readCommand(others), o.timeoutMs);
    s.counters = parseCounters(r.output, others);
  } catch {
    s.counters = {};
  }
}

/** What arrived at `to` from `from` (its frames counted on `to`'s device for `from`'s VNI). */
function pathBetween(from: Probing, to: Probing, devices: Device[]): UdpPath {
  if (to.vxlan.status !== 'ok') return { status: 'untested', why: `${to.host.name} could not make VXLAN devices` };
  if (from.vxlan.status !== 'ok') return { status: 'untested', why: `${from.host.name} could not make VXLAN devices` };
  if (from.sendError) return { status: 'untested', why: `${from.host.name}: ${from.sendError}` };
  const packets = to.counters?.[devices[from.index!].dev];
  if (packets === undefined) return { status: 'untested', why: `${to.host.name}: its counters could not be read` };
  return packets > 0 ? { status: 'ok', packets } : { status: 'lost' };
}

function resultOf(s: Probing, states: Probing[], devices: Device[]): ProbeResult {
  const udpFrom: Record<string, UdpPath> = {};
  if (s.index !== undefined)
    for (const other of states)
      if (other !== s && other.index !== undefined) udpFrom[other.host.name] = pathBetween(other, s, devices);
  return {
    vxlan: s.vxlan,
    udpFrom,
    disk: s.disk,
    ...(s.probe?.pulledImage ? { pulledImage: true } : {}),
  };
}
