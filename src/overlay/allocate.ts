/**
 * Allocation with check-and-set: a network's VNI and subnet, and one lease per host. Each attempt reads
 * the overlay's KV, picks the lowest free values and writes them in one Consul transaction whose every
 * claim is `cas` index 0 ("only if absent"); when another apply won the race the transaction writes
 * nothing, and the attempt is made again on a fresh read. So two applies never hold the same VNI,
 * subnet or lease.
 *
 * Subnets: a network's subnet is the stack file's `ipam` subnet when it gives one (`fixed`), else the lowest
 * of the pool's that overlaps neither a subnet claimed in Consul (any stack's, pool or fixed) nor a network
 * that exists on the target hosts (`inUse`, from observe). Claims of overlapping but unequal subnets have
 * different keys, so every subnet claim also makes a `cas` on the subnet generation key: of two applies
 * that read the same claims, only one can claim a subnet; the other reads again and sees it.
 */
import type { OverlayStore, TxnOp } from './store.js';
import {
  KV_ROOT,
  SUBNET_GENERATION_KEY,
  networkId,
  networkPrefix,
  parseKv,
  emptyNetworkState,
  type HostLease,
  type NetworkAllocation,
  type NetworkState,
  type OverlayKvState,
  type ProgrammedHost,
} from './state.js';
import {
  canonicalCidr,
  cidrOverlaps,
  lease,
  leaseSlotsIn,
  lowestFree,
  networkCount,
  networkSubnet,
  parseCidr,
  poolProblems,
  subnetKey,
} from './pool.js';

export interface AllocationRequest {
  stack: string;
  key: string;
  /** The bridge network's name on the daemons. */
  name: string;
  /** Host name → underlay address, for every host the network must reach. */
  hosts: Record<string, string>;
  /** The stack file's `ipam` subnet, when it gives one: claimed as it is, never replaced by a pool subnet. */
  subnet?: string;
  /** Subnets of networks that exist on the target hosts (observed), which a new subnet must not overlap. */
  inUse?: InUseSubnet[];
}

/** A network on the hosts and its subnet, as observe saw it. */
export interface InUseSubnet {
  subnet: string;
  network: string;
  hosts: string[];
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
export function allocationTxn(
  state: OverlayKvState,
  req: AllocationRequest,
): { ops: TxnOp[]; allocation: NetworkAllocation; leases: Record<string, HostLease> } {
  const pool = state.pool;
  const problems = poolProblems(pool);
  if (problems.length)
    throw new AllocationError(`overlay pool in ${KV_ROOT}config is unusable: ${problems.join('; ')}`);
  const net: NetworkState = state.networks.get(networkId(req.stack, req.key)) ?? emptyNetworkState();
  const ops: TxnOp[] = [];
  let allocation = net.allocation;
  if (allocation && req.subnet && isIpv4Cidr(req.subnet) && canonicalCidr(req.subnet) !== allocation.subnet)
    throw new AllocationError(
      `network ${req.name} holds subnet ${allocation.subnet} in Consul, not ${canonicalCidr(req.subnet)}: a network cannot change its subnet in place`,
    );
  if (!allocation) allocation = newAllocation(state, req, ops);
  const leases = hostLeases(net, req, allocation, pool, ops);
  return { ops, allocation, leases };
}

/** A network's first allocation (VNI, subnet, MTU) and the check-and-set ops that claim it. */
function newAllocation(state: OverlayKvState, req: AllocationRequest, ops: TxnOp[]): NetworkAllocation {
  const pool = state.pool;
  const id = networkId(req.stack, req.key);
  const prefix = networkPrefix(req.stack, req.key);
  const vni = lowestFree(pool.vniFirst, pool.vniLast, new Set(state.vnis.keys()));
  if (vni === undefined) throw new AllocationError(`no free VNI left in ${pool.vniFirst}-${pool.vniLast}`);
  const claims = [...state.subnets]
    .filter(([, c]) => c.owner !== id)
    .map(([subnet, c]) => ({ subnet, owner: c.owner }));
  const inUse = (req.inUse ?? []).filter((u) => isIpv4Cidr(u.subnet));
  const subnet = req.subnet ? fixedSubnet(req, pool.leasePrefix, claims, inUse) : poolSubnet(state, claims, inUse);
  const allocation: NetworkAllocation = {
    stack: req.stack,
    key: req.key,
    name: req.name,
    vni,
    subnet,
    mtu: pool.mtu,
    ...(req.subnet ? { fixed: true } : {}),
  };
  ops.push({ verb: 'cas', key: `${KV_ROOT}vni/${vni}`, value: id, index: 0 });
  ops.push({ verb: 'cas', key: `${KV_ROOT}subnet/${subnetKey(subnet)}`, value: id, index: 0 });
  ops.push({
    verb: 'cas',
    key: SUBNET_GENERATION_KEY,
    value: String(state.subnetClaims + 1),
    index: state.subnetGeneration,
  });
  ops.push({ verb: 'cas', key: `${prefix}allocation`, value: json(allocation), index: 0 });
  return allocation;
}

/** Each requested host's lease (kept, its underlay updated, or a new slot) and the ops that write the changes. */
function hostLeases(
  net: NetworkState,
  req: AllocationRequest,
  allocation: NetworkAllocation,
  pool: OverlayKvState['pool'],
  ops: TxnOp[],
): Record<string, HostLease> {
  const prefix = networkPrefix(req.stack, req.key);
  const leases: Record<string, HostLease> = {};
  const usedSlots = new Set(Object.keys(net.slots).map(Number));
  for (const host of Object.keys(req.hosts).sort()) {
    const underlay = req.hosts[host];
    const have = net.leases[host];
    if (have) {
      const { index, ...l } = have;
      leases[host] = { ...l, underlay };
      if (have.underlay !== underlay)
        ops.push({ verb: 'cas', key: `${prefix}lease/${host}`, value: json(leases[host]), index });
      continue;
    }
    const slots = leaseSlotsIn(allocation.subnet, pool.leasePrefix);
    const slot = lowestFree(1, slots, usedSlots);
    if (slot === undefined)
      throw new AllocationError(
        `network ${req.name}: no free host lease left in ${allocation.subnet} (${slots} hosts at most, one /${pool.leasePrefix} each)`,
      );
    usedSlots.add(slot);
    const l: HostLease = { host, slot, ...lease(allocation.subnet, pool.leasePrefix, slot), underlay };
    leases[host] = l;
    ops.push({ verb: 'cas', key: `${prefix}slot/${slot}`, value: host, index: 0 });
    ops.push({ verb: 'cas', key: `${prefix}lease/${host}`, value: json(l), index: 0 });
  }
  return leases;
}

function isIpv4Cidr(cidr: string): boolean {
  try {
    parseCidr(cidr);
    return true;
  } catch {
    return false;
  }
}

const onHosts = (u: InUseSubnet) => `${u.network} (${u.subnet}) on ${u.hosts.join(', ')}`;

/** The lowest pool subnet that overlaps no other network's claim and no network on the hosts. */
function poolSubnet(state: OverlayKvState, claims: { subnet: string }[], inUse: InUseSubnet[]): string {
  const pool = state.pool;
  for (let i = 0; i < networkCount(pool); i++) {
    const candidate = networkSubnet(pool, i);
    if (!claims.some((c) => cidrOverlaps(c.subnet, candidate)) && !inUse.some((u) => cidrOverlaps(u.subnet, candidate)))
      return candidate;
  }
  throw new AllocationError(
    `no free subnet left in ${pool.subnet} (/${pool.networkPrefix} each, none overlapping another network's claim or a network on the hosts)`,
  );
}

/** The stack file's subnet, if it holds a lease per host and overlaps no other network's claim and no network on the hosts. */
function fixedSubnet(
  req: AllocationRequest,
  leasePrefix: number,
  claims: { subnet: string; owner: string }[],
  inUse: InUseSubnet[],
): string {
  let subnet: string;
  try {
    subnet = canonicalCidr(req.subnet!);
  } catch {
    throw new AllocationError(`network ${req.name}: subnet ${req.subnet} is not an IPv4 CIDR block`);
  }
  const slots = leaseSlotsIn(subnet, leasePrefix);
  const hosts = Object.keys(req.hosts).length;
  if (slots < hosts)
    throw new AllocationError(
      `network ${req.name}: subnet ${subnet} holds ${slots} host lease${slots === 1 ? '' : 's'} of /${leasePrefix}, and the network spans ${hosts} hosts`,
    );
  const claimed = claims.filter((c) => cidrOverlaps(c.subnet, subnet));
  if (claimed.length)
    throw new AllocationError(
      `network ${req.name}: subnet ${subnet} overlaps ${claimed.map((c) => `${c.subnet} of overlay network ${c.owner}`).join(', ')} (claimed in Consul)`,
    );
  const used = inUse.filter((u) => cidrOverlaps(u.subnet, subnet));
  if (used.length)
    throw new AllocationError(
      `network ${req.name}: subnet ${subnet} overlaps existing network${used.length > 1 ? 's' : ''} ${used.map(onHosts).join('; ')}`,
    );
  return subnet;
}

/** Reads, completes and writes until the request holds (or attempts run out). */
export async function ensureAllocation(
  store: OverlayStore,
  req: AllocationRequest,
  maxAttempts = 30,
): Promise<Allocated> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const state = parseKv(await store.list(KV_ROOT), { stack: req.stack });
    const { ops, allocation, leases } = allocationTxn(state, req);
    if (await store.txn(ops)) return { allocation, leases, attempts: attempt };
    await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 80)));
  }
  throw new AllocationError(
    `network ${req.name}: allocation still contended after ${maxAttempts} attempts; apply again`,
  );
}

/** Gives the network's VNI, subnet and leases back (the claims only if they are still this network's). */
export async function releaseAllocation(store: OverlayStore, stack: string, key: string): Promise<void> {
  for (let attempt = 1; attempt <= 10; attempt++) {
    const state = parseKv(await store.list(KV_ROOT), { stack });
    const id = networkId(stack, key);
    const ops: TxnOp[] = [];
    for (const [vni, c] of state.vnis)
      if (c.owner === id) ops.push({ verb: 'delete-cas', key: `${KV_ROOT}vni/${vni}`, index: c.index });
    for (const [subnet, c] of state.subnets)
      if (c.owner === id)
        ops.push({ verb: 'delete-cas', key: `${KV_ROOT}subnet/${subnetKey(subnet)}`, index: c.index });
    ops.push({ verb: 'delete-tree', key: networkPrefix(stack, key) });
    if (await store.txn(ops)) return;
  }
  throw new AllocationError(`network ${stack}/${key}: release contended; apply again`);
}

/** Records what a host's device now is: its VNI, own underlay address, MTU and the peers it forwards to. */
export async function recordProgrammed(
  store: OverlayStore,
  stack: string,
  key: string,
  host: string,
  device: { vni: number; peers: string[]; local: string; mtu: number },
): Promise<void> {
  const record: ProgrammedHost = {
    host,
    vni: device.vni,
    peers: [...device.peers].sort(),
    local: device.local,
    mtu: device.mtu,
  };
  await store.txn([{ verb: 'set', key: `${networkPrefix(stack, key)}programmed/${host}`, value: json(record) }]);
}

/** Forgets a host's programmed record (its device is gone). */
export async function forgetProgrammed(store: OverlayStore, stack: string, key: string, host: string): Promise<void> {
  await store.txn([{ verb: 'delete-tree', key: `${networkPrefix(stack, key)}programmed/${host}` }]);
}
