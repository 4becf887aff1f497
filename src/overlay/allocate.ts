/**
 * Allocation with check-and-set: a network's VNI and subnet, and one lease per host. Each attempt reads
 * the overlay's KV, picks the lowest free values and writes them in one Consul transaction whose every
 * claim is `cas` index 0 ("only if absent"); when another apply won the race the transaction writes
 * nothing, and the attempt is made again on a fresh read. So two applies never hold the same VNI,
 * subnet or lease.
 */
import type { OverlayStore, TxnOp } from './store.js';
import { KV_ROOT, networkId, networkPrefix, parseKv, emptyNetworkState, type HostLease, type NetworkAllocation, type NetworkState, type OverlayKvState } from './state.js';
import { lease, leaseSlots, lowestFree, networkCount, networkSubnet, poolProblems, subnetKey } from './pool.js';

export interface AllocationRequest {
  stack: string;
  key: string;
  /** The bridge network's name on the daemons. */
  name: string;
  /** Host name → underlay address, for every host the network must reach. */
  hosts: Record<string, string>;
}

export interface Allocated {
  allocation: NetworkAllocation;
  leases: Record<string, HostLease>;
  /** Attempts it took (1 without contention). */
  attempts: number;
}

export class AllocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AllocationError';
  }
}

const json = (v: unknown) => JSON.stringify(v);

/** The transaction that completes a request against one read of the state; [] when nothing is missing. */
export function allocationTxn(state: OverlayKvState, req: AllocationRequest): { ops: TxnOp[]; allocation: NetworkAllocation; leases: Record<string, HostLease> } {
  const pool = state.pool;
  const problems = poolProblems(pool);
  if (problems.length) throw new AllocationError(`overlay pool in ${KV_ROOT}config is unusable: ${problems.join('; ')}`);
  const id = networkId(req.stack, req.key);
  const prefix = networkPrefix(req.stack, req.key);
  const net: NetworkState = state.networks.get(id) ?? emptyNetworkState();
  const ops: TxnOp[] = [];
  let allocation = net.allocation;
  if (!allocation) {
    const vni = lowestFree(pool.vniFirst, pool.vniLast, new Set(state.vnis.keys()));
    if (vni === undefined) throw new AllocationError(`no free VNI left in ${pool.vniFirst}-${pool.vniLast}`);
    const taken = new Set(state.subnets.keys());
    const index = lowestFree(0, networkCount(pool) - 1, new Set([...Array(networkCount(pool)).keys()].filter((i) => taken.has(networkSubnet(pool, i)))));
    if (index === undefined) throw new AllocationError(`no free subnet left in ${pool.subnet} (/${pool.networkPrefix} each)`);
    const subnet = networkSubnet(pool, index);
    allocation = { stack: req.stack, key: req.key, name: req.name, vni, subnet, mtu: pool.mtu };
    ops.push({ verb: 'cas', key: `${KV_ROOT}vni/${vni}`, value: id, index: 0 });
    ops.push({ verb: 'cas', key: `${KV_ROOT}subnet/${subnetKey(subnet)}`, value: id, index: 0 });
    ops.push({ verb: 'cas', key: `${prefix}allocation`, value: json(allocation), index: 0 });
  }
  const leases: Record<string, HostLease> = {};
  const usedSlots = new Set(Object.keys(net.slots).map(Number));
  for (const host of Object.keys(req.hosts).sort()) {
    const underlay = req.hosts[host];
    const have = net.leases[host];
    if (have) {
      const { index, ...l } = have;
      leases[host] = { ...l, underlay };
      if (have.underlay !== underlay) ops.push({ verb: 'cas', key: `${prefix}lease/${host}`, value: json(leases[host]), index });
      continue;
    }
    const slot = lowestFree(1, leaseSlots(pool), usedSlots);
    if (slot === undefined) throw new AllocationError(`network ${req.name}: no free host lease left (${leaseSlots(pool)} hosts at most)`);
    usedSlots.add(slot);
    const l: HostLease = { host, slot, ...lease(allocation.subnet, pool.leasePrefix, slot), underlay };
    leases[host] = l;
    ops.push({ verb: 'cas', key: `${prefix}slot/${slot}`, value: host, index: 0 });
    ops.push({ verb: 'cas', key: `${prefix}lease/${host}`, value: json(l), index: 0 });
  }
  return { ops, allocation, leases };
}

/** Reads, completes and writes until the request holds (or attempts run out). */
export async function ensureAllocation(store: OverlayStore, req: AllocationRequest, maxAttempts = 30): Promise<Allocated> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const state = parseKv(await store.list(KV_ROOT));
    const { ops, allocation, leases } = allocationTxn(state, req);
    if (await store.txn(ops)) return { allocation, leases, attempts: attempt };
    await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 80)));
  }
  throw new AllocationError(`network ${req.name}: allocation still contended after ${maxAttempts} attempts; apply again`);
}

/** Gives the network's VNI, subnet and leases back (the claims only if they are still this network's). */
export async function releaseAllocation(store: OverlayStore, stack: string, key: string): Promise<void> {
  for (let attempt = 1; attempt <= 10; attempt++) {
    const state = parseKv(await store.list(KV_ROOT));
    const id = networkId(stack, key);
    const ops: TxnOp[] = [];
    for (const [vni, c] of state.vnis) if (c.owner === id) ops.push({ verb: 'delete-cas', key: `${KV_ROOT}vni/${vni}`, index: c.index });
    for (const [subnet, c] of state.subnets) if (c.owner === id) ops.push({ verb: 'delete-cas', key: `${KV_ROOT}subnet/${subnetKey(subnet)}`, index: c.index });
    ops.push({ verb: 'delete-tree', key: networkPrefix(stack, key) });
    if (await store.txn(ops)) return;
  }
  throw new AllocationError(`network ${stack}/${key}: release contended; apply again`);
}

/** Records the peer set a host's device now forwards to. */
export async function recordProgrammed(store: OverlayStore, stack: string, key: string, host: string, vni: number, peers: string[]): Promise<void> {
  await store.txn([{ verb: 'set', key: `${networkPrefix(stack, key)}programmed/${host}`, value: json({ host, vni, peers: [...peers].sort() }) }]);
}

/** Forgets a host's programmed record (its device is gone). */
export async function forgetProgrammed(store: OverlayStore, stack: string, key: string, host: string): Promise<void> {
  await store.txn([{ verb: 'delete-tree', key: `${networkPrefix(stack, key)}programmed/${host}` }]);
}
