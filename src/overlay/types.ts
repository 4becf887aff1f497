/** What observe learns about stack's own overlay, as plain data for the planner. */
import type { OverlayKvState } from './state.js';

/** Which overlay realises a `driver: overlay` network, and why (shown in the plan). */
export interface OverlayChoice {
  /** Key in the stack file. */
  network: string;
  mode: 'engine' | 'consul';
  why: string;
}

/** A VXLAN device as the read-only helper saw it (`ip -d link`, `bridge fdb`); fields it could not read are absent. */
export interface DeviceInfo {
  vni?: number;
  /** Its own underlay address (`local`). */
  local?: string;
  dstport?: number;
  mtu?: number;
  /** Flood (all-zeros FDB) destinations, sorted. */
  peers: string[];
}

/** VXLAN devices seen on a host by the read-only helper (`plan --refresh`), by device name. */
export type HostDevices = Record<string, DeviceInfo>;

export interface OverlayObserved {
  /** Consul's address, when the overlay needs it. */
  consul?: string;
  /** The other servers named, when several were (their IPs are the containers' DNS servers too). */
  consulFallbacks?: string[];
  /** Set when Consul could not be read: the planner refuses to plan (no write happens). */
  error?: string;
  /** Set when a value read from Consul failed validation (names the key): the planner refuses likewise. */
  invalid?: string;
  kv?: OverlayKvState;
  /** Catalog service ids registered per catalog service name (`<stack>-<key>`). */
  registered: Record<string, string[]>;
  /** Only with refresh: per host, the VXLAN devices and their forwarding entries; a string when the helper failed. */
  devices?: Record<string, HostDevices | string>;
}

/**
 * The parts of observe's types the overlay's pure helpers read, declared here so overlay/ does not import observe/
 * (observe's own types satisfy them structurally).
 */
export interface ImageDigests {
  repoDigests: string[];
}

/** What `clusterStores` reads of the observed state: each host's Engine info, when it was observed. */
export interface ClusterStoreView {
  hosts: Record<
    string,
    { engine?: { clusterStore: string; clusterAdvertise: string }; overlayShown?: 'engine' | 'own' } | undefined
  >;
}
