/**
 * The values stack's own overlay hands to a host's kernel (through the helper's argv) or to the Engine, each
 * parsed once into its type (pure). Every value comes from outside — Consul, a host label, an inventory, a
 * daemon — so each parser takes `where` (a Consul key, `host h1 label stack.underlay`, …) and throws an
 * `OverlayValueError` that names it; nothing that fails here reaches a host.
 *
 * Ranges: a VNI is 24 bits (1–16777215; 0 is reserved). The MTU is 576–9000: 576 is the smallest datagram
 * every IPv4 host must accept (RFC 791), 9000 the usual jumbo frame, so the VXLAN device on a 9000-byte underlay
 * still fits (9000 − 50).
 */

declare const brand: unique symbol;
type Branded<T, B extends string> = T & { readonly [brand]: B };

export type Vni = Branded<number, 'Vni'>;
export type Mtu = Branded<number, 'Mtu'>;
/** Strict dotted quad: four decimal octets 0–255, no leading zeros, nothing else. */
export type Ipv4 = Branded<string, 'Ipv4'>;
/** An IPv4 CIDR block `a.b.c.d/p` (p 0–32), host bits as written. */
export type Ipv4Cidr = Branded<string, 'Ipv4Cidr'>;
/** A Linux interface name stack may name: lower-case letters, digits, `_ . -`, at most 15 characters. */
export type DeviceName = Branded<string, 'DeviceName'>;

export const VNI_MIN = 1;
export const VNI_MAX = 16_777_215;
export const MTU_MIN = 576;
export const MTU_MAX = 9000;

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
export const IPV4_PATTERN = `^${OCTET}(?:\\.${OCTET}){3}$`;
const IPV4 = new RegExp(IPV4_PATTERN);
const CIDR = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}/(?:3[0-2]|[12]?[0-9])$`);
export const DEVICE_NAME_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,14}$';
const DEVICE_NAME = new RegExp(DEVICE_NAME_PATTERN);

/** A value from outside that is not what it must be; `where` says where it came from. */
export class OverlayValueError extends Error {
  constructor(
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${where}: ${problem}`);
    this.name = 'OverlayValueError';
  }
}

/** What a bad value looked like, for messages: its type and length, never its text (it may be anything). */
export function shapeOf(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} character${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'number') return Number.isFinite(value) ? `the number ${value}` : 'a non-finite number';
  return value === null
    ? 'null'
    : Array.isArray(value)
      ? 'a list'
      : typeof value === 'object'
        ? 'an object'
        : typeof value;
}

function integerIn(value: unknown, min: number, max: number, where: string, what: string): number {
  const n = typeof value === 'string' && /^[0-9]{1,9}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
    throw new OverlayValueError(where, `${what} must be an integer ${min}..${max}, not ${shapeOf(value)}`);
  return n;
}

/** A VNI from a number or a string of digits. */
export function parseVni(value: unknown, where: string): Vni {
  return integerIn(value, VNI_MIN, VNI_MAX, where, 'vni') as Vni;
}

export function parseMtu(value: unknown, where: string): Mtu {
  return integerIn(value, MTU_MIN, MTU_MAX, where, 'mtu') as Mtu;
}

export function isIpv4(value: unknown): value is Ipv4 {
  return typeof value === 'string' && IPV4.test(value);
}

export function parseIpv4(value: unknown, where: string, what = 'address'): Ipv4 {
  if (!isIpv4(value))
    throw new OverlayValueError(where, `${what} must be an IPv4 address (a.b.c.d), not ${shapeOf(value)}`);
  return value;
}

export function parseIpv4Cidr(value: unknown, where: string, what = 'subnet'): Ipv4Cidr {
  if (typeof value !== 'string' || !CIDR.test(value))
    throw new OverlayValueError(where, `${what} must be an IPv4 CIDR block (a.b.c.d/p), not ${shapeOf(value)}`);
  return value as Ipv4Cidr;
}

/** A list of IPv4 addresses, sorted and without repeats. */
export function parsePeers(value: unknown, where: string): Ipv4[] {
  if (!Array.isArray(value))
    throw new OverlayValueError(where, `peers must be a list of IPv4 addresses, not ${shapeOf(value)}`);
  return [...new Set(value.map((p, i) => parseIpv4(p, where, `peers[${i}]`)))].sort();
}

export function parseDeviceName(value: unknown, where: string): DeviceName {
  if (typeof value !== 'string' || !DEVICE_NAME.test(value))
    throw new OverlayValueError(
      where,
      `a device name must match ${DEVICE_NAME_PATTERN} (at most 15 characters), not ${shapeOf(value)}`,
    );
  return value as DeviceName;
}
