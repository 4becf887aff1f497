/**
 * The overlay's state in Consul KV, and how it is laid out. Every write is check-and-set (see allocate.ts).
 *
 *   stack/overlay/config                              pool overrides (JSON, optional; see pool.ts; never the helper image)
 *   stack/overlay/vni/<vni>                           claim: `<stack>/<key>`
 *   stack/overlay/subnet/<a.b.c.d_p>                  claim: `<stack>/<key>`
 *   stack/overlay/subnet-generation                   how many subnet claims were made; every claim is `cas` on
 *                                                     its index, so claims of overlapping (not equal) subnets
 *                                                     cannot both succeed
 *   stack/overlay/networks/<stack>/<key>/allocation   NetworkAllocation
 *   stack/overlay/networks/<stack>/<key>/slot/<n>     claim: host name
 *   stack/overlay/networks/<stack>/<key>/lease/<host> HostLease
 *   stack/overlay/networks/<stack>/<key>/programmed/<host>  ProgrammedHost (the peer set the helper set up)
 */
import type { KvEntry } from './store.js';
import { DEFAULT_POOL, type OverlayPool } from './pool.js';
import { validateKvValue } from './kv-schema.js';
import { OverlayValueError, parseIpv4Cidr, parseVni } from './values.js';

export const KV_ROOT = 'stack/overlay/';
export const CONFIG_KEY = `${KV_ROOT}config`;
export const SUBNET_GENERATION_KEY = `${KV_ROOT}subnet-generation`;

export interface NetworkAllocation {
  stack: string;
  /** Key in the stack file. */
  key: string;
  /** Name of the bridge network on the daemons (the network's name). */
  name: string;
  vni: number;
  subnet: string;
  mtu: number;
  /** The subnet is the stack file's `ipam` subnet, not one cut from the pool. */
  fixed?: boolean;
}

export interface HostLease {
  host: string;
  slot: number;
  range: string;
  gateway: string;
  /** The host's underlay address (VXLAN endpoint). */
  underlay: string;
}

export interface ProgrammedHost {
  host: string;
  vni: number;
  /** Underlay addresses of the peers the device forwards to, sorted. */
  peers: string[];
  /** The device's own underlay address (`local`); absent in records written before it was recorded. */
  local?: string;
  /** The device's MTU; absent in older records. */
  mtu?: number;
}

export interface NetworkState {
  allocation?: NetworkAllocation;
  allocationIndex: number;
  leases: Record<string, HostLease & { index: number }>;
  slots: Record<number, { host: string; index: number }>;
  programmed: Record<string, ProgrammedHost & { index: number }>;
}

/** Everything of the overlay in KV, parsed. */
export interface OverlayKvState {
  pool: OverlayPool;
  /** vni → `<stack>/<key>` and its index. */
  vnis: Map<number, { owner: string; index: number }>;
  subnets: Map<string, { owner: string; index: number }>;
  /** Modify index of the subnet generation key (0: absent), for the `cas` every subnet claim makes on it. */
  subnetGeneration: number;
  /** Its value: how many subnet claims were made. */
  subnetClaims: number;
  /** `<stack>/<key>` → state. */
  networks: Map<string, NetworkState>;
  /** What was read but is ignored (a pool config's old helperImage), for the plan's warnings. */
  notes: string[];
}

export const networkId = (stack: string, key: string) => `${stack}/${key}`;
export const networkPrefix = (stack: string, key: string) => `${KV_ROOT}networks/${stack}/${key}/`;

export function emptyNetworkState(): NetworkState {
  return { allocationIndex: 0, leases: {}, slots: {}, programmed: {} };
}

/**
 * Everything of the overlay in KV, each value validated (kv-schema.ts) before it is used: a bad value throws an
 * `OverlayValueError` naming its key. With `stack`, only that stack's networks are read (the claims, generation
 * and pool are everyone's): another stack's entries are never used, so they neither stop nor steer this run.
 */
export function parseKv(entries: KvEntry[], only: { stack?: string } = {}): OverlayKvState {
  const state: OverlayKvState = {
    pool: { ...DEFAULT_POOL },
    vnis: new Map(),
    subnets: new Map(),
    subnetGeneration: 0,
    subnetClaims: 0,
    networks: new Map(),
    notes: [],
  };
  for (const e of entries) {
    if (!e.key.startsWith(KV_ROOT)) continue;
    const rest = e.key.slice(KV_ROOT.length).split('/');
    if (e.key === CONFIG_KEY) readConfig(state, e);
    else if (e.key === SUBNET_GENERATION_KEY) {
      state.subnetGeneration = e.modifyIndex;
      state.subnetClaims = Number(validateKvValue<string>('subnet-generation', e.key, e.value));
    } else if (rest[0] === 'vni' && rest.length === 2)
      state.vnis.set(parseVni(rest[1], `Consul key ${e.key}`), claim(e));
    else if (rest[0] === 'subnet' && rest.length === 2)
      state.subnets.set(
        parseIpv4Cidr(rest[1].replace('_', '/'), `Consul key ${e.key}`, 'the subnet in the key'),
        claim(e),
      );
    else if (rest[0] === 'networks' && rest.length >= 4 && (only.stack === undefined || rest[1] === only.stack))
      readNetworkEntry(state, e, rest);
  }
  return state;
}

function readConfig(state: OverlayKvState, e: KvEntry): void {
  const o = validateKvValue<Partial<OverlayPool> & { helperImage?: string }>('config', e.key, e.value);
  const { helperImage, ...pool } = o;
  if (helperImage !== undefined)
    state.notes.push(
      `${e.key}: helperImage is no longer read from Consul (the helper image is the operator's: overlay.helper_image in the inventory, or --overlay-helper-image); remove it`,
    );
  state.pool = { ...DEFAULT_POOL, ...pool };
}

function claim(e: KvEntry): { owner: string; index: number } {
  return { owner: validateKvValue<string>('claim', e.key, e.value), index: e.modifyIndex };
}

/** `networks/<stack>/<key>/allocation | slot/<n> | lease/<host> | programmed/<host>`: each checked against its key. */
function readNetworkEntry(state: OverlayKvState, e: KvEntry, rest: string[]): void {
  const id = networkId(rest[1], rest[2]);
  let n = state.networks.get(id);
  if (!n) state.networks.set(id, (n = emptyNetworkState()));
  const [kind, sub] = [rest[3], rest[4]];
  const where = `Consul key ${e.key}`;
  const mismatch = (field: string) => new OverlayValueError(where, `${field} does not match the key`);
  if (kind === 'allocation' && rest.length === 4) {
    const a = validateKvValue<NetworkAllocation>('allocation', e.key, e.value);
    if (a.stack !== rest[1] || a.key !== rest[2]) throw mismatch('stack/key');
    n.allocation = a;
    n.allocationIndex = e.modifyIndex;
  } else if (kind === 'lease' && sub && rest.length === 5) {
    const l = validateKvValue<HostLease>('lease', e.key, e.value);
    if (l.host !== sub) throw mismatch('host');
    n.leases[sub] = { ...l, index: e.modifyIndex };
  } else if (kind === 'slot' && sub && rest.length === 5) {
    n.slots[integerSlot(sub, where)] = { host: validateKvValue<string>('slot', e.key, e.value), index: e.modifyIndex };
  } else if (kind === 'programmed' && sub && rest.length === 5) {
    const p = validateKvValue<ProgrammedHost>('programmed', e.key, e.value);
    if (p.host !== sub) throw mismatch('host');
    n.programmed[sub] = { ...p, index: e.modifyIndex };
  }
}

function integerSlot(text: string, where: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(text))
    throw new OverlayValueError(where, 'the slot in the key must be a positive integer');
  return Number(text);
}
