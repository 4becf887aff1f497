/** IPv4 and IPv6 CIDR blocks as integer ranges, to tell whether two subnets overlap. Pure. */

export interface Cidr {
  text: string;
  family: 4 | 6;
  first: bigint;
  last: bigint;
}

function ipv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function ipv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || (text.match(/::/g) ?? []).length > 1) return undefined;
  let groups: string[];
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const v4 = (t.length ? t : h).at(-1)?.includes('.') ? (t.length ? t : h).pop()! : undefined;
  const extra = v4 ? 2 : 0;
  if (tail === undefined) groups = h;
  else {
    const missing = 8 - h.length - t.length - extra;
    if (missing < 1) return undefined;
    groups = [...h, ...Array<string>(missing).fill('0'), ...t];
  }
  if (groups.length + extra !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  let value = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  if (v4) {
    const low = ipv4(v4);
    if (low === undefined) return undefined;
    value = (value << 32n) | low;
  }
  return value;
}

/** `10.1.0.0/16`, `fd00::/64` → the range it covers; undefined when it is not a CIDR block. */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const family = m[1].includes(':') ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  const prefix = Number(m[2]);
  const address = family === 4 ? ipv4(m[1]) : ipv6(m[1]);
  if (address === undefined || prefix > bits) return undefined;
  const size = 1n << BigInt(bits - prefix);
  const first = (address / size) * size;
  return { text, family, first, last: first + size - 1n };
}

/** An address (`10.1.0.1`) as a one-address range. */
export function parseAddress(text: string): Cidr | undefined {
  return parseCidr(`${text}/${text.includes(':') ? 128 : 32}`);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.first <= inner.first && inner.last <= outer.last;
}
