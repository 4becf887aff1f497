/**
 * Runs the overlay's operations for the executor. Each is one step the plan already decided: a Consul
 * write, one Engine call, or one helper run. Values only known after allocation (VNI, subnet, lease) are
 * read back from Consul, where `overlay.allocate` put them.
 */
import type { HostClient } from '../docker/client.js';
import { unreachable, type NetworkCreateBody, type Operation, type OverlayRegisterParams } from '../plan/types.js';
import { Labels, ownerLabels, type StackOwner } from '../labels.js';
import type { OverlayStore } from './store.js';
import { ensureAllocation, forgetProgrammed, recordProgrammed, releaseAllocation } from './allocate.js';
import { networkId, networkPrefix, parseKv } from './state.js';
import { bridgeName } from './names.js';
import { programTask, runHelper, unprogramTask } from './helper.js';

/** The network's allocation and the host's lease, read back from Consul and validated (kv-schema.ts) before use. */
async function networkState(store: OverlayStore, stack: string, key: string, host: string) {
  const st = parseKv(await store.list(networkPrefix(stack, key)), { stack }).networks.get(networkId(stack, key));
  const allocation = st?.allocation;
  const lease = st?.leases[host];
  if (!allocation || !lease)
    throw new Error(`overlay ${stack}/${key}: no allocation or lease for ${host} in Consul (run apply again)`);
  return { allocation, lease };
}

/** The bridge network of one host: the network's subnet, the host's range and gateway, the overlay MTU. */
export function bridgeBody(
  stack: string,
  key: string,
  name: string,
  vni: number,
  subnet: string,
  range: string,
  gateway: string,
  mtu: number,
  owner?: StackOwner,
): NetworkCreateBody {
  return {
    Name: name,
    Driver: 'bridge',
    CheckDuplicate: true,
    Options: { 'com.docker.network.bridge.name': bridgeName(vni), 'com.docker.network.driver.mtu': String(mtu) },
    IPAM: { Driver: 'default', Config: [{ Subnet: subnet, IPRange: range, Gateway: gateway }] },
    Labels: {
      [Labels.managed]: 'true',
      [Labels.stack]: stack,
      ...ownerLabels(owner),
      [Labels.network]: key,
      [Labels.overlayVni]: String(vni),
    },
  };
}

/** The operations of stack's own overlay. */
export type OverlayOperation = Extract<Operation, { kind: `overlay.${string}` }>;

export async function runOverlayOperation(
  op: OverlayOperation,
  client: HostClient,
  store: OverlayStore | undefined,
): Promise<void> {
  if (!store) throw new Error(`${op.id}: no Consul configured for the overlay`);
  switch (op.kind) {
    case 'overlay.allocate': {
      const p = op.params;
      return void (await ensureAllocation(store, {
        stack: p.stack,
        key: p.key,
        name: p.name,
        hosts: p.hosts,
        ...(p.subnet ? { subnet: p.subnet } : {}),
        ...(p.inUse ? { inUse: p.inUse } : {}),
      }));
    }
    case 'overlay.bridge': {
      const p = op.params;
      const { allocation: a, lease } = await networkState(store, p.stack, p.key, p.host);
      return client.createNetwork(
        bridgeBody(p.stack, p.key, p.name, a.vni, a.subnet, lease.range, lease.gateway, a.mtu, p.owner),
      );
    }
    case 'overlay.program': {
      const p = op.params;
      const { allocation: a, lease } = await networkState(store, p.stack, p.key, p.host);
      const task = programTask(
        { vni: a.vni, local: lease.underlay, mtu: a.mtu, peers: p.peers },
        `Consul key ${networkPrefix(p.stack, p.key)}{allocation,lease/${p.host}}`,
      );
      await runHelper(client, p.image, task, `program ${p.name}`, p.stack, p.owner);
      return recordProgrammed(store, p.stack, p.key, p.host, {
        vni: a.vni,
        peers: p.peers,
        local: lease.underlay,
        mtu: a.mtu,
      });
    }
    case 'overlay.unprogram': {
      const p = op.params;
      await runHelper(
        client,
        p.image,
        unprogramTask(p.vni, `host ${p.host}: network ${p.key}'s label ${Labels.overlayVni}`),
        `remove device of ${p.key}`,
        p.stack,
        p.owner,
      );
      return forgetProgrammed(store, p.stack, p.key, p.host);
    }
    case 'overlay.release':
      return releaseAllocation(store, op.params.stack, op.params.key);
    case 'overlay.register':
      return register(op.params, client, store);
    case 'overlay.deregister':
      return store.deregister(op.params.node, op.params.serviceId);
    default:
      return unreachable(op, 'overlay operation');
  }
}

/** A replica in the catalog at its address on the overlay network, read from its inspect. */
async function register(p: OverlayRegisterParams, client: HostClient, store: OverlayStore): Promise<void> {
  const info = await client.inspectContainer(p.container);
  const address = info.NetworkSettings?.Networks?.[p.network]?.IPAddress;
  if (!address) throw new Error(`${p.container} has no address on ${p.network}`);
  return store.register({
    node: p.node,
    nodeAddress: p.nodeAddress,
    serviceId: p.serviceId,
    service: p.service,
    tags: p.tags,
    address,
    meta: p.meta,
  });
}
