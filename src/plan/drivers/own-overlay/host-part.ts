/**
 * One host's part of a Consul-backed network (pure): its bridge network when missing, and the helper run that
 * programs the VXLAN device when the device is not (or no longer) what it must be. Records the op after which
 * the network is usable on the host.
 */
import { warning } from '../../../errors.js';
import { deviceName } from '../../../overlay/names.js';
import type { DeviceInfo } from '../../../overlay/types.js';
import type { NetworkAllocation, NetworkState } from '../../../overlay/state.js';
import { helperPull, type NetworkContext, type NetworkPart } from './overlay-plan.js';

export function planHostPart(ctx: NetworkContext, part: NetworkPart, host: string): void {
  const { n, st, allocOp } = part;
  const { plan, observed } = ctx;
  const alloc = st?.allocation;
  const obsNet = observed.hosts[host].networks.find((o) => o.name === n.name);
  const peers = ctx.hostsOn
    .filter((h) => h !== host)
    .map((h) => plan.underlays[h])
    .sort();
  const what =
    alloc && st?.leases[host]
      ? `VNI ${alloc.vni}, subnet ${alloc.subnet}, range ${st.leases[host].range}`
      : 'VNI, subnet and range allocated at apply';
  const bridgeOp = obsNet ? undefined : addBridge(ctx, part, host, what);
  const local = plan.underlays[host];
  const causes = bridgeOp ? ['new bridge'] : recordCauses(st, alloc, host, local, peers);
  const devices = ctx.ov.devices?.[host];
  if (typeof devices === 'string')
    ctx.diagnostics.push(warning(`host ${host}: VXLAN devices could not be listed: ${devices}`, { host }));
  else if (devices && alloc && !bridgeOp) {
    const dev = deviceName(alloc.vni);
    causes.push(...deviceCauses(devices[dev], dev, alloc, local, peers));
  }
  let programOp: string | undefined;
  if (causes.length) {
    programOp = ctx.b.add(
      'overlay.program',
      host,
      `program overlay ${n.name}`,
      `network:${n.key}`,
      causes.join('; '),
      [allocOp, bridgeOp, helperPull(plan, observed, ctx.b, host)],
      {
        stack: ctx.desired.name,
        key: n.key,
        name: n.name,
        host,
        peers,
        image: plan.helperImage!,
        ...(observed.owner ? { owner: observed.owner } : {}),
      },
    );
    if (!bridgeOp)
      ctx.b.change({
        host,
        type: 'network',
        resource: `network:${n.key}`,
        name: n.name,
        action: 'update',
        cause: `consul overlay: ${causes.join('; ')}`,
      });
  }
  ctx.ready.set(`${host} ${n.key}`, programOp ?? bridgeOp);
}

/** The host's bridge network of the overlay, and its resource change. */
function addBridge(ctx: NetworkContext, part: NetworkPart, host: string, what: string): string {
  const { n } = part;
  const resource = `network:${n.key}`;
  const owner = ctx.observed.owner;
  const id = ctx.b.add(
    'overlay.bridge',
    host,
    `create network ${n.name}`,
    resource,
    `consul overlay bridge (${what})`,
    [part.allocOp],
    { stack: ctx.desired.name, key: n.key, name: n.name, host, ...(owner ? { owner } : {}) },
  );
  ctx.b.change({
    host,
    type: 'network',
    resource,
    name: n.name,
    action: 'create',
    cause: `consul overlay: bridge + VXLAN device (${what})`,
  });
  return id;
}

/** Why the device must be programmed again, by what Consul records of the last helper run on the host. */
function recordCauses(
  st: NetworkState | undefined,
  alloc: NetworkAllocation | undefined,
  host: string,
  local: string | undefined,
  peers: string[],
): string[] {
  const programmed = st?.programmed[host];
  if (!programmed || (alloc && programmed.vni !== alloc.vni)) return ['VXLAN device not programmed'];
  const causes: string[] = [];
  // Records written before `local` was recorded: the lease's underlay is what that helper run was given.
  const wasLocal = programmed.local ?? st?.leases[host]?.underlay;
  if (wasLocal !== local) causes.push(`underlay address changed: ${wasLocal ?? '(unknown)'} → ${local}`);
  if (alloc && programmed.mtu !== undefined && programmed.mtu !== alloc.mtu)
    causes.push(`MTU ${programmed.mtu} → ${alloc.mtu}`);
  if (programmed.peers.join(',') !== peers.join(','))
    causes.push(`peers changed: ${programmed.peers.join(' ') || '(none)'} → ${peers.join(' ') || '(none)'}`);
  return causes;
}

/** Why the device must be programmed again, by what `--refresh` saw of it on the host. */
function deviceCauses(
  seen: DeviceInfo | undefined,
  dev: string,
  alloc: NetworkAllocation,
  local: string | undefined,
  peers: string[],
): string[] {
  if (!seen) return [`VXLAN device ${dev} is missing`];
  const causes: string[] = [];
  if (seen.vni !== undefined && seen.vni !== alloc.vni)
    causes.push(`VXLAN device ${dev} has VNI ${seen.vni}, not ${alloc.vni}`);
  if (seen.local !== undefined && seen.local !== local)
    causes.push(`VXLAN device ${dev} has local address ${seen.local}, not ${local}`);
  if (seen.mtu !== undefined && seen.mtu !== alloc.mtu)
    causes.push(`VXLAN device ${dev} has MTU ${seen.mtu}, not ${alloc.mtu}`);
  if (seen.peers.join(',') !== peers.join(','))
    causes.push(`VXLAN device forwards to ${seen.peers.join(' ') || '(none)'}, not ${peers.join(' ') || '(none)'}`);
  return causes;
}
