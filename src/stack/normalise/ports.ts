/** Port mappings: short syntax (`[IP:][PUBLISHED:]TARGET[/PROTO]`, ranges allowed) and long syntax. */
import type { PortSpec } from '../types.js';
import { isRecord, scalarText, type KeyPath } from '../key-path.js';
import type { Problems } from '../problems.js';

/** Port mappings one service may expand to (ranges included): every port once. */
export const MAX_PORT_MAPPINGS = 65535;

const SHORT =
  /^(?:(\[[0-9a-fA-F:.]+\]|[0-9]+\.[0-9.]+):)?(?:([0-9]+(?:-[0-9]+)?)?:)?([0-9]+(?:-[0-9]+)?)(?:\/(tcp|udp|sctp))?$/;

export function normalisePorts(value: unknown, path: KeyPath, problems: Problems): PortSpec[] {
  if (!Array.isArray(value)) return [];
  const ports: PortSpec[] = [];
  let capped = false;
  value.forEach((entry, i) => {
    const at = [...path, i];
    if (capped) return;
    if (isRecord(entry)) {
      const spec = longPort(entry, at, problems);
      if (spec) ports.push(spec);
      return;
    }
    capped = !shortPorts(String(entry), at, problems, ports);
  });
  return ports;
}

/** `{target, published, host_ip, protocol, mode}`; undefined after an error. */
function longPort(entry: Record<string, unknown>, at: KeyPath, problems: Problems): PortSpec | undefined {
  const target = Number(entry.target);
  if (!isPort(target))
    return void problems.error([...at, 'target'], `target port ${String(entry.target)} is not a port number (1-65535)`);
  const published = entry.published === undefined || entry.published === '' ? undefined : scalarText(entry.published);
  if (published !== undefined && !validRange(published))
    return void problems.error(
      [...at, 'published'],
      `published port ${published} is not a port or range of ports (1-65535)`,
    );
  return port(
    target,
    published,
    optional(entry.host_ip),
    (entry.protocol as PortSpec['protocol']) ?? 'tcp',
    (entry.mode as PortSpec['mode']) ?? 'ingress',
  );
}

/**
 * `[IP:][PUBLISHED:]TARGET[/PROTO]`, ranges expanded one mapping per port into `ports`. False when the expansion
 * would pass MAX_PORT_MAPPINGS (reported; the caller stops there).
 */
function shortPorts(text: string, at: KeyPath, problems: Problems, ports: PortSpec[]): boolean {
  const match = SHORT.exec(text);
  if (!match) {
    problems.error(at, `invalid port mapping "${text}"`, {
      hint: 'write [HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL], e.g. 8080:80',
    });
    return true;
  }
  const [, ip, published, target, protocol = 'tcp'] = match;
  const hostIp = ip?.replace(/^\[|\]$/g, '');
  const [tFrom, tTo] = bounds(target);
  if (!isPort(tFrom) || !isPort(tTo) || tTo < tFrom)
    return report(problems, at, `invalid target port ${target} in "${text}"`);
  if (published !== undefined && !validRange(published))
    return report(problems, at, `invalid published port ${published} in "${text}"`);
  const count = tTo - tFrom + 1;
  if (count === 1) {
    ports.push(port(tFrom, published, hostIp, protocol as PortSpec['protocol'], 'ingress'));
    return true;
  }
  const [pFrom, pTo] = published ? bounds(published) : [undefined, undefined];
  if (pFrom !== undefined && pTo !== undefined && pTo - pFrom + 1 !== count)
    return report(problems, at, `port ranges in "${text}" have different lengths`);
  if (ports.length + count > MAX_PORT_MAPPINGS) {
    problems.error(at, `the service's ports expand to more than ${MAX_PORT_MAPPINGS} port mappings`, {
      hint: 'publish each port once; merge overlapping ranges',
    });
    return false;
  }
  for (let k = 0; k < count; k++) {
    const publishedK = pFrom === undefined ? undefined : String(pFrom + k);
    ports.push(port(tFrom + k, publishedK, hostIp, protocol as PortSpec['protocol'], 'ingress'));
  }
  return true;
}

/** Reports a mapping that is skipped; the others go on (true). */
function report(problems: Problems, at: KeyPath, message: string): true {
  problems.error(at, message);
  return true;
}

function port(
  target: number,
  published: string | undefined,
  hostIp: string | undefined,
  protocol: PortSpec['protocol'],
  mode: PortSpec['mode'],
): PortSpec {
  const spec: PortSpec = { target, protocol, mode };
  if (published !== undefined) spec.published = published;
  if (hostIp) spec.hostIp = hostIp;
  return spec;
}

function optional(value: unknown): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : scalarText(value);
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

function bounds(range: string): [number, number] {
  const [from, to = from] = range.split('-');
  return [Number(from), Number(to)];
}

function validRange(range: string): boolean {
  const [from, to] = bounds(range);
  return isPort(from) && isPort(to) && from <= to;
}

/** Published host ports of a mapping as an inclusive range, or undefined when Docker picks the port. */
export function publishedRange(p: PortSpec): [number, number] | undefined {
  return p.published === undefined ? undefined : bounds(p.published);
}
