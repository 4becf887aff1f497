/** Parsing of list and inspect results into the observed state's typed fields. Pure. */
import { ContainerLabels, Labels, Roles } from '../labels.js';
import type { ContainerState, HealthState, ObservedContainer, ObservedMount, PublishedPort } from './types.js';

export function parseConfigLabel(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `Up 3 seconds (healthy)`, `Up 1 second (health: starting)`, `Exited (137) 2 minutes ago`. */
export function parseStatus(status: string | undefined): { health?: HealthState; exitCode?: number } {
  const s = status ?? '';
  const health: HealthState | undefined = /\(healthy\)/.test(s)
    ? 'healthy'
    : /\(unhealthy\)/.test(s)
      ? 'unhealthy'
      : /health: starting/.test(s)
        ? 'starting'
        : undefined;
  const m = /^Exited \((-?\d+)\)/.exec(s);
  return { health, exitCode: m ? Number(m[1]) : undefined };
}

/** One entry of GET /containers/json (as dockerode returns it). */
export interface ContainerListEntry {
  Id: string;
  Names?: string[];
  Image?: string;
  Labels?: Record<string, string>;
  State?: string;
  Status?: string;
  NetworkSettings?: { Networks?: Record<string, unknown> };
  Mounts?: { Type?: string; Name?: string; Source?: string; Destination: string }[];
  Ports?: { IP?: string; PrivatePort?: number; PublicPort?: number; Type?: string }[];
}

/** The host ports of a list entry, each once (the Engine lists a port once per address family). */
export function parsePorts(e: Pick<ContainerListEntry, 'Ports'>): PublishedPort[] {
  const out = new Map<string, PublishedPort>();
  for (const p of e.Ports ?? []) {
    if (!p.PublicPort) continue;
    const port: PublishedPort = { hostIp: p.IP ?? '0.0.0.0', port: p.PublicPort, protocol: p.Type ?? 'tcp' };
    if (p.PrivatePort) port.target = p.PrivatePort;
    out.set(`${port.hostIp}/${port.port}/${port.protocol}`, port);
  }
  return [...out.values()];
}

export function parseContainer(host: string, e: ContainerListEntry): ObservedContainer {
  const labels = e.Labels ?? {};
  const { health, exitCode } = parseStatus(e.Status);
  const mounts: ObservedMount[] = (e.Mounts ?? []).map((m) => ({
    type: m.Type ?? 'volume',
    name: m.Name || undefined,
    source: m.Source,
    destination: m.Destination,
  }));
  const name = (e.Names?.[0] ?? e.Id).replace(/^\//, '');
  const ports = parsePorts(e);
  return {
    id: e.Id,
    name,
    host,
    service: labels[Labels.service] ?? '',
    slot: labels[Labels.slot] ?? '',
    configHash: labels[Labels.configHash],
    config: parseConfigLabel(labels[ContainerLabels.config]),
    role: labels[Labels.replaceRole] ?? (name.endsWith('_kept') ? Roles.kept : undefined),
    state: (e.State ?? 'created') as ContainerState,
    health,
    exitCode,
    networks: Object.keys(e.NetworkSettings?.Networks ?? {}).sort(),
    mounts,
    labels,
    ...(e.Image ? { image: e.Image } : {}),
    ...(ports.length ? { ports } : {}),
  };
}
