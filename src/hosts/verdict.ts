/**
 * The verdicts of `stack hosts check` (pure): per host, which overlay paths work there; which overlay stack would
 * use on these hosts (chooseOverlay, as apply decides it); and the findings — an error for each host that cannot
 * take the stack's networks (unreachable, or the overlay the stack would use cannot work there), warnings for clock
 * skew, low disk, and anything the probe could not undo.
 */
import { chooseOverlay } from '../overlay/mode.js';
import { HELPER_IMAGE_HINT } from '../overlay/helper-image.js';
import type { HostSpec } from '../stack/types.js';
import { formatEndpoint } from '../stack/endpoint.js';
import { skews, skewTooLarge } from './clock.js';
import type { EngineProbe } from './engine.js';
import type {
  Finding,
  HostReport,
  HostsCheckReport,
  NetworkNeeds,
  Outcome,
  OverlayPath,
  ProbeResult,
} from './types.js';

/** Below this much free space in the data root, the check warns (images and containers live there). */
export const LOW_DISK_BYTES = 1024 ** 3;

export interface HostInputs {
  spec: HostSpec;
  engine: EngineProbe;
  /** The probe's result; absent when it did not run on this host. */
  probe?: ProbeResult;
  /** The underlay address, or why there is none usable. */
  underlay?: string;
}

export interface ReportInputs {
  hosts: HostInputs[];
  needs: NetworkNeeds;
  /** The operator's helper image the probe ran from; absent: no probe (and no own overlay). */
  helperImage?: string;
  /** Why the probe did not run at all (no helper image, no reachable host), when it did not. */
  probeSkipped?: string;
  /** What the probe could not undo on some host. */
  leftovers: string[];
}

const UNREACHABLE: Outcome<never> = { status: 'skipped', why: 'unreachable' };

function engineOverlay(engine: EngineProbe): Outcome<null> {
  if (!engine.engine) return UNREACHABLE;
  const { clusterStore, clusterAdvertise } = engine.engine;
  if (clusterStore && clusterAdvertise) return { status: 'ok', value: null };
  return {
    status: 'failed',
    error: clusterStore ? 'cluster store set but no cluster-advertise address' : 'no cluster store (Engine /info)',
  };
}

/** Stack's own overlay on one host: its VXLAN devices work and datagrams arrive both ways with every other host. */
function ownOverlay(h: HostInputs, all: HostInputs[], probeSkipped: string | undefined): Outcome<null> {
  if (!h.engine.engine) return UNREACHABLE;
  if (!h.probe) return { status: 'skipped', why: probeSkipped ?? 'not probed' };
  if (h.probe.vxlan.status !== 'ok') return h.probe.vxlan;
  const from = Object.entries(h.probe.udpFrom)
    .filter(([, p]) => p.status === 'lost')
    .map(([peer]) => peer);
  const to = all.filter((o) => o.probe?.udpFrom[h.spec.name]?.status === 'lost').map((o) => o.spec.name);
  if (!from.length && !to.length) return { status: 'ok', value: null };
  const parts = [
    ...(from.length ? [`nothing arrived from ${from.join(', ')}`] : []),
    ...(to.length ? [`nothing it sent arrived at ${to.join(', ')}`] : []),
  ];
  return { status: 'failed', error: `VXLAN over UDP 4789: ${parts.join('; ')}` };
}

function hostReport(h: HostInputs, all: HostInputs[], inputs: ReportInputs, skew: number | undefined): HostReport {
  const { engine, probe } = h;
  const skipped = { status: 'skipped', why: engine.engine ? (inputs.probeSkipped ?? 'not probed') : 'unreachable' };
  return {
    name: h.spec.name,
    endpoint: formatEndpoint(h.spec.endpoint),
    reachable: !engine.error,
    ...(engine.error ? { error: engine.error } : {}),
    ...(engine.latencyMs !== undefined ? { latencyMs: engine.latencyMs } : {}),
    ...(engine.engine ? { engine: engine.engine } : {}),
    ...(engine.clock && skew !== undefined ? { clock: { ...engine.clock, skewMs: skew } } : {}),
    ...(h.underlay ? { underlay: h.underlay } : {}),
    disk: probe?.disk ?? (skipped as Outcome<never>),
    overlay: { engine: engineOverlay(engine), own: ownOverlay(h, all, inputs.probeSkipped) },
    vxlan: probe?.vxlan ?? (skipped as Outcome<never>),
    udpFrom: probe?.udpFrom ?? {},
    labels: h.spec.labels,
    ...(probe?.pulledImage ? { pulledImage: true } : {}),
  };
}

/** The overlay stack would use on the reachable hosts (as apply chooses it), and why. */
export function overlayPath(hosts: HostReport[], setting: NetworkNeeds['setting']): { path: OverlayPath; why: string } {
  const reachable = hosts.filter((h) => h.reachable);
  const stores = Object.fromEntries(reachable.map((h) => [h.name, h.overlay.engine.status === 'ok']));
  const choice = chooseOverlay(
    '',
    setting,
    stores,
    reachable.map((h) => h.name),
  );
  return { path: choice.mode === 'engine' ? 'engine' : 'own', why: choice.why };
}

/** The findings: errors for hosts that cannot take the stack's networks, warnings for the rest. */
export function findings(report: Omit<HostsCheckReport, 'findings' | 'ok'>, leftovers: string[]): Finding[] {
  const out: Finding[] = [];
  for (const h of report.hosts)
    if (!h.reachable)
      out.push({
        severity: 'error',
        host: h.name,
        summary: `host ${h.name} is unreachable: ${h.error ?? 'no answer'}`,
        hint: `check its endpoint (${h.endpoint}) and that its daemon runs; the other hosts are reported above`,
      });
  if (report.needs.overlay) out.push(...overlayFindings(report));
  for (const h of report.hosts) {
    if (h.clock && skewTooLarge(h.clock.skewMs, h.clock.uncertaintyMs))
      out.push({
        severity: 'warning',
        host: h.name,
        summary: `host ${h.name}: its clock is ${Math.round(h.clock.skewMs)} ms off the others'`,
        hint: 'run NTP (chrony, systemd-timesyncd) on every host: TLS validity, Consul sessions and logs need agreeing clocks',
      });
    if (h.disk.status === 'ok' && h.disk.value.availableBytes < LOW_DISK_BYTES)
      out.push({
        severity: 'warning',
        host: h.name,
        summary: `host ${h.name}: ${Math.round(h.disk.value.availableBytes / 1024 ** 2)} MiB free in the data root ${h.disk.value.path}`,
        hint: 'images and containers live there: free space (docker system prune) or grow the disk',
      });
  }
  for (const l of leftovers)
    out.push({
      severity: 'warning',
      summary: `the probe could not undo everything: ${l}`,
      hint: `remove it by hand: docker rm -f $(docker ps -aq --filter label=io.github.stack-deploy.hosts-check); ip link del stchk… (its devices)`,
    });
  return out;
}

function overlayFindings(report: Omit<HostsCheckReport, 'findings' | 'ok'>): Finding[] {
  const reachable = report.hosts.filter((h) => h.reachable);
  const path = report.overlay.path;
  const out: Finding[] = [];
  const why = report.needs.why;
  for (const h of reachable) {
    const o = path === 'engine' ? h.overlay.engine : h.overlay.own;
    if (o.status === 'ok') continue;
    if (path === 'own' && !report.helperImage) continue;
    out.push({
      severity: 'error',
      host: h.name,
      summary: `host ${h.name} cannot take ${path === 'engine' ? "the engine's" : "stack's own"} overlay (${why}): ${o.status === 'failed' ? o.error : o.why}`,
      hint:
        path === 'engine'
          ? "configure the daemon's cluster store (docs/overlay.md), or use stack's own overlay: x-stack.overlay: consul (docs/consul-overlay.md)"
          : "stack's own overlay needs the kernel's vxlan module, the host's iproute2 (ip, bridge) and UDP 4789 open between the hosts' underlay addresses (docs/hosts-check.md)",
    });
  }
  if (path === 'own' && !report.helperImage && reachable.length)
    out.push({
      severity: 'error',
      summary: `stack's own overlay (${report.overlay.why}) needs the operator's helper image, and none is set (${why})`,
      hint: HELPER_IMAGE_HINT,
    });
  return out;
}

/** The whole report from what was gathered. */
export function buildReport(inputs: ReportInputs): HostsCheckReport {
  const clocks = Object.fromEntries(
    inputs.hosts.filter((h) => h.engine.clock).map((h) => [h.spec.name, h.engine.clock!]),
  );
  const skew = skews(clocks);
  const hosts = inputs.hosts.map((h) => hostReport(h, inputs.hosts, inputs, skew[h.spec.name]));
  const partial = {
    hosts,
    needs: inputs.needs,
    ...(inputs.helperImage ? { helperImage: inputs.helperImage } : {}),
    overlay: overlayPath(hosts, inputs.needs.setting),
  };
  const found = findings(partial, inputs.leftovers);
  return { ...partial, findings: found, ok: !found.some((f) => f.severity === 'error') };
}
