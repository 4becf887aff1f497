/**
 * The overlay's state in Consul KV, and how it is laid out. Every write is check-and-set (see allocate.ts).
 *
 *   stack/overlay/config                              pool overrides (JSON, optional; see pool.ts)
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
import { poolFrom, type OverlayPool } from './pool.js';

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
}

export const networkId = (stack: string, key: string) => `${stack}/${key}`;
export const networkPrefix = (stack: string, key: string) => `${KV_ROOT}networks/${stack}/${key}/`;

export function emptyNetworkState(): NetworkState {
  return { allocationIndex: 0, leases: {}, slots: {}, programmed: {} };
}

export function parseKv(entries: KvEntry[]): OverlayKvState {
  const state: OverlayKvState = { pool: poolFrom(undefined), vnis: new Map(), subnets: new Map(), subnetGeneration: 0, subnetClaims: 0, networks: new Map() };
  for (const e of entries) {
    if (!e.key.startsWith(KV_ROOT)) continue;
    const rest = e.key.slice(KV_ROOT.length).split('/');
    if (e.key === CONFIG_KEY) state.pool = poolFrom(e.value);
    else if (e.key === SUBNET_GENERATION_KEY) {
      state.subnetGeneration = e.modifyIndex;
      state.subnetClaims = Number(e.value) || 0;
    }
    else if (rest[0] === 'vni' && rest.length === 2) state.vnis.set(Number(rest[1]), { owner: e.value, index: e.modifyIndex });
    else if (rest[0] === 'subnet' && rest.length === 2) state.subnets.set(rest[1].replace('_', '/'), { owner: e.value, index: e.modifyIndex });
    else if (rest[0] === 'networks' && rest.length >= 4) {
      const id = networkId(rest[1], rest[2]);
      let n = state.networks.get(id);
      if (!n) state.networks.set(id, (n = emptyNetworkState()));
      const [kind, sub] = [rest[3], rest[4]];
      if (kind === 'allocation') {
        n.allocation = JSON.parse(e.value) as NetworkAllocation;
        n.allocationIndex = e.modifyIndex;
      } else if (kind === 'lease' && sub) n.leases[sub] = { ...(JSON.parse(e.value) as HostLease), index: e.modifyIndex };
      else if (kind === 'slot' && sub) n.slots[Number(sub)] = { host: e.value, index: e.modifyIndex };
      else if (kind === 'programmed' && sub) n.programmed[sub] = { ...(JSON.parse(e.value) as ProgrammedHost), index: e.modifyIndex };
    }
  }
  return state;
}
