/**
 * The address and VNI pool of stack's own overlay, and the pure arithmetic over it. One pool for the
 * whole cluster (every stack draws from it, so no two networks overlap): by default 10.240.0.0/12 split
 * into /18 networks (64 of them), each split into /24 host leases (slots 1–63; slot 0 holds the network
 * address), VNIs 256–4095: below 4096, where Docker's own overlay drivers (Swarm's and the cluster store's) start
 * theirs, so that both can run on one host (the kernel takes a VNI once per network namespace). Consul key
 * `stack/overlay/config` overrides any field (JSON, validated against
 * kv-schema.ts when read). The helper image is not part of it: that is the operator's (inventory or flag).
 */
import { overlaps, parseCidr as parseRange } from '../stack/cidr.js';

export interface OverlayPool {
  /** The block every network's subnet is cut from. */
  subnet: string;
  /** Prefix length of one network's subnet. */
  networkPrefix: number;
  /** Prefix length of one host's lease (its ip-range). */
  leasePrefix: number;
  vniFirst: number;
  vniLast: number;
  /** DNS server containers on the overlay use (Consul's DNS); default: the host of Consul's HTTP address. */
  dns?: string;
  /** MTU of the bridge and the VXLAN device (underlay MTU − 50). */
  mtu: number;
}

export const DEFAULT_POOL: OverlayPool = {
  subnet: '10.240.0.0/12',
  networkPrefix: 18,
  leasePrefix: 24,
  vniFirst: 256,
  vniLast: 4095,
  mtu: 1450,
};

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`not an IPv4 address: ${ip}`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(cidr: string): { base: number; prefix: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`not a CIDR: ${cidr}`);
  const prefix = Number(m[2]);
  if (prefix < 0 || prefix > 32) throw new Error(`bad prefix in ${cidr}`);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { base: (ipToInt(m[1]) & mask) >>> 0, prefix };
}

/** Problems with a pool (empty when usable). */
export function poolProblems(p: OverlayPool): string[] {
  const out: string[] = [];
  try {
    const { prefix } = parseCidr(p.subnet);
    if (!(p.networkPrefix > prefix && p.networkPrefix < p.leasePrefix && p.leasePrefix <= 30))
      out.push(`need ${prefix} < networkPrefix (${p.networkPrefix}) < leasePrefix (${p.leasePrefix}) ≤ 30`);
  } catch (err) {
    out.push((err as Error).message);
  }
  if (!(
    Number.isInteger(p.vniFirst) &&
    Number.isInteger(p.vniLast) &&
    p.vniFirst >= 1 &&
    p.vniLast <= 16_777_215 &&
    p.vniFirst <= p.vniLast
  ))
    out.push(`VNI range ${p.vniFirst}-${p.vniLast} must lie in 1-16777215`);
  if (!(p.mtu >= 576 && p.mtu <= 9000)) out.push(`mtu ${p.mtu} out of range`);
  return out;
}

export function networkCount(p: OverlayPool): number {
  return 2 ** (p.networkPrefix - parseCidr(p.subnet).prefix);
}

/** The i-th network subnet of the pool (`10.240.64.0/18` for i = 1 with the default pool). */
export function networkSubnet(p: OverlayPool, i: number): string {
  const { base } = parseCidr(p.subnet);
  return `${intToIp((base + i * 2 ** (32 - p.networkPrefix)) >>> 0)}/${p.networkPrefix}`;
}

/** Host lease slots of one network: 1 … 2^(leasePrefix − networkPrefix) − 1. */
export function leaseSlots(p: OverlayPool): number {
  return 2 ** (p.leasePrefix - p.networkPrefix) - 1;
}

/** Host lease slots of a given subnet (a fixed one from the stack file): 0 when it is no larger than one lease. */
export function leaseSlotsIn(subnet: string, leasePrefix: number): number {
  const { prefix } = parseCidr(subnet);
  return prefix < leasePrefix ? 2 ** (leasePrefix - prefix) - 1 : 0;
}

/** A CIDR in its canonical form (host bits cleared): `10.20.0.5/22` → `10.20.0.0/22`. */
export function canonicalCidr(cidr: string): string {
  const { base, prefix } = parseCidr(cidr);
  return `${intToIp(base)}/${prefix}`;
}

/** Do two CIDR blocks share an address? (The planner's range arithmetic, src/overlay/cidr.ts.) */
export function cidrOverlaps(a: string, b: string): boolean {
  const x = parseRange(a);
  const y = parseRange(b);
  return !!x && !!y && overlaps(x, y);
}

/** A host's lease in a network's subnet: its ip-range and its gateway (the range's first address). */
export function lease(subnet: string, leasePrefix: number, slot: number): { range: string; gateway: string } {
  const { base } = parseCidr(subnet);
  const start = (base + slot * 2 ** (32 - leasePrefix)) >>> 0;
  return { range: `${intToIp(start)}/${leasePrefix}`, gateway: intToIp(start + 1) };
}

/** Lowest integer in [first, last] not in used, or undefined. */
export function lowestFree(first: number, last: number, used: ReadonlySet<number>): number | undefined {
  for (let i = first; i <= last; i++) if (!used.has(i)) return i;
  return undefined;
}

/** KV-safe form of a subnet: `10.240.0.0_18`. */
export function subnetKey(subnet: string): string {
  return subnet.replace('/', '_');
}
