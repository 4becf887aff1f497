/**
 * The planner's part for stack's own overlay (pure, synchronous). Before services are planned,
 * `planOverlayNetworks` decides per `driver: overlay` network which overlay realises it, and for
 * Consul-backed ones adds, per network and host, only what is missing:
 *   overlay.allocate  (Consul, check-and-set) VNI, subnet, leases for hosts without one
 *   overlay.bridge    the host's bridge network (subnet, its range and gateway, MTU 1450, labelled)
 *   overlay.program   the helper that makes the VXLAN device and sets its peers (when the bridge is new,
 *                     the recorded device differs from what it must be — peers, own underlay address,
 *                     VNI, MTU — or --refresh found the device gone or different)
 * A fixed `ipam` subnet is honoured: checked here against Consul's claims (the hosts' networks are
 * checked by src/plan/network-checks.ts), and claimed with check-and-set at apply like a pool subnet.
 * Containers on the network wait for their host's part. `finishOverlay` then gives containers Consul's
 * DNS and search domain, registers each replica in the catalog after start, deregisters it before stop,
 * and removes devices and leases of networks no longer wanted, after their bridge networks.
 */
import type { DesiredState, HostSpec, NetworkSpec } from '../stack/types.js';
import type { ObservedState } from '../observe/types.js';
import type { OpKind, Operation, Rollout } from '../plan/types.js';
import type { Builder } from '../plan/builder.js';
import { error, warning, type Diagnostic } from '../errors.js';
import { Labels } from '../labels.js';
import { chooseOverlay, clusterStores, dnsServer, overlayNetworks, UNDERLAY_LABEL, underlayOf } from './mode.js';
import { HELPER_IMAGE_HINT, helperImagePresent } from './helper-image.js';
import { parseVni } from './values.js';
import { networkId, type NetworkAllocation, type OverlayKvState } from './state.js';
import type { InUseSubnet } from './allocate.js';
import { canonicalCidr, cidrOverlaps, leaseSlotsIn } from './pool.js';
import { catalogId, catalogNode, catalogService, deviceName, searchDomain } from './names.js';
import type { OverlayChoice } from './types.js';

/** The reconciler's plan builder, as the overlay's planning uses it. */
export type OverlayBuilder = Pick<Builder, 'ops' | 'compensations' | 'add' | 'change'>;

export interface OverlayPlan {
  choices: OverlayChoice[];
  /** Is this network key realised by stack's own overlay? */
  isConsul(key: string): boolean;
  /** The op after which the network is usable on the host (undefined: already is). */
  ready(host: string, key: string): string | undefined;
  /** Network name on the daemons → key, for every Consul-backed network of the stack (wanted or not). */
  names: Map<string, string>;
  underlays: Record<string, string>;
  dns?: string;
  helperImage?: string;
  helperPulls: Map<string, string | undefined>;
}

type Obj = Record<string, any>;

export function planOverlayNetworks(
  desired: DesiredState,
  observed: ObservedState,
  usable: string[],
  b: OverlayBuilder,
  diagnostics: Diagnostic[],
): OverlayPlan {
  const ov = observed.overlay;
  const stack = desired.name;
  const plan: OverlayPlan = {
    choices: [],
    isConsul: () => false,
    ready: () => undefined,
    names: new Map(),
    underlays: {},
    helperPulls: new Map(),
  };
  const nets = overlayNetworks(desired);
  const consulKeys = new Set<string>();
  for (const n of nets) {
    const choice = chooseOverlay(n.key, desired.settings.overlay, clusterStores(observed, usable), usable);
    plan.choices.push(choice);
    if (choice.mode === 'consul') consulKeys.add(n.key);
  }
  plan.isConsul = (key) => consulKeys.has(key);
  for (const h of usable)
    for (const n of observed.hosts[h].networks) if (n.labels[Labels.overlayVni] && n.key) plan.names.set(n.name, n.key);
  for (const problem of badVniLabels(observed, usable))
    diagnostics.push(
      error(
        problem.message,
        { host: problem.host },
        `remove network ${problem.network} on ${problem.host} by hand (docker network rm): stack did not make that label`,
      ),
    );
  for (const [id, st] of ov?.kv?.networks ?? [])
    if (id.startsWith(`${stack}/`) && st.allocation) plan.names.set(st.allocation.name, st.allocation.key);
  for (const key of consulKeys) plan.names.set(desired.networks[key].name, key);
  if (!consulKeys.size && !plan.names.size) return plan;
  if (!ov || ov.error || ov.invalid || !ov.kv) {
    if (ov?.invalid)
      diagnostics.push(
        error(
          ov.invalid,
          undefined,
          'stack validates everything it reads from Consul and never runs it; fix or remove that key (someone with write access to stack/overlay/ wrote it); nothing was changed',
        ),
      );
    else
      diagnostics.push(
        error(
          `Consul-backed overlay: ${ov?.error ?? 'its state was not observed'}`,
          undefined,
          'set `consul:` in the inventory (or x-stack.consul) to a reachable Consul; nothing was changed',
        ),
      );
    return plan;
  }
  for (const note of ov.kv.notes) diagnostics.push(warning(note));
  const pool = ov.kv.pool;
  plan.dns = dnsServer(ov.consul, pool.dns);
  plan.helperImage = desired.settings.overlayHelperImage;
  if (!plan.helperImage) {
    diagnostics.push(
      error(
        "stack's own overlay needs a helper image (it runs the hosts' own ip and bridge through chroot), and none is configured",
        undefined,
        HELPER_IMAGE_HINT,
      ),
    );
    return plan;
  }
  const specs = new Map<string, HostSpec>(desired.hosts.map((h) => [h.name, h]));
  for (const h of usable) {
    const u = underlayOf(specs.get(h)!);
    if (u.address) plan.underlays[h] = u.address;
    else if (u.error)
      diagnostics.push(
        error(u.error, { host: h }, `give the host the label ${UNDERLAY_LABEL}=IP (an IPv4 address) in the inventory`),
      );
    else if (consulKeys.size)
      diagnostics.push(
        error(
          `host ${h}: no underlay address for the overlay`,
          { host: h },
          `use a tcp://IP endpoint, or give the host the label ${UNDERLAY_LABEL}=IP in the inventory`,
        ),
      );
  }
  const ready = new Map<string, string | undefined>();
  plan.ready = (host, key) => ready.get(`${host} ${key}`);
  const hostsOn = usable.filter((h) => plan.underlays[h]);

  for (const key of [...consulKeys].sort()) {
    const n = desired.networks[key];
    const st = ov.kv.networks.get(networkId(stack, key));
    const alloc = st?.allocation;
    const resource = `network:${key}`;
    // What exists on the hosts must be this allocation's; anything else is refused rather than guessed at.
    const foreign = hostsOn.flatMap((h) => {
      const o = observed.hosts[h].networks.find((x) => x.name === n.name);
      if (!o) return [];
      const vni = o.labels[Labels.overlayVni];
      if (o.driver !== 'bridge' || !vni) return [`${h} (driver ${o.driver}, not stack's own overlay)`];
      if (!alloc) return [`${h} (VNI ${vni}, which Consul has no allocation for)`];
      return vni === String(alloc.vni) ? [] : [`${h} (VNI ${vni}, Consul says ${alloc.vni})`];
    });
    if (foreign.length) {
      diagnostics.push(
        error(
          `network ${n.name} exists on ${foreign.join(', ')}`,
          { path: `networks.${key}` },
          'remove it (stack destroy, or docker network rm once no container uses it) and apply again',
        ),
      );
      continue;
    }
    const fixed = fixedSubnet(n, alloc, ov.kv, stack, hostsOn.length, diagnostics);
    if (fixed === null) continue;
    const newLeases = hostsOn.filter((h) => !st?.leases[h]);
    const moved = hostsOn.filter((h) => st?.leases[h] && st.leases[h].underlay !== plan.underlays[h]);
    const leaseCause = [
      newLeases.length ? `host leases for ${newLeases.join(', ')}` : '',
      ...moved.map((h) => `underlay of ${h} changed: ${st!.leases[h].underlay} → ${plan.underlays[h]}`),
    ]
      .filter(Boolean)
      .join('; ');
    const allocOp =
      !alloc || leaseCause
        ? b.add(
            'overlay.allocate',
            hostsOn[0] ?? usable[0],
            `allocate overlay ${n.name}`,
            resource,
            !alloc
              ? `new network: VNI, ${fixed ? `subnet ${fixed} (from the stack file)` : 'subnet'} and host leases (check-and-set in Consul)`
              : leaseCause,
            [],
            {
              stack,
              key,
              name: n.name,
              hosts: Object.fromEntries(hostsOn.map((h) => [h, plan.underlays[h]])),
              ...(fixed ? { subnet: fixed } : {}),
              ...(!alloc ? { inUse: subnetsInUse(observed, hostsOn, n.name) } : {}),
            },
          )
        : undefined;
    for (const host of hostsOn) {
      const obsNet = observed.hosts[host].networks.find((o) => o.name === n.name);
      const peers = hostsOn
        .filter((h) => h !== host)
        .map((h) => plan.underlays[h])
        .sort();
      const what =
        alloc && st?.leases[host]
          ? `VNI ${alloc.vni}, subnet ${alloc.subnet}, range ${st.leases[host].range}`
          : 'VNI, subnet and range allocated at apply';
      let bridgeOp: string | undefined;
      if (!obsNet) {
        bridgeOp = b.add(
          'overlay.bridge',
          host,
          `create network ${n.name}`,
          resource,
          `consul overlay bridge (${what})`,
          [allocOp],
          { stack, key, name: n.name, host, ...(observed.owner ? { owner: observed.owner } : {}) },
        );
        b.change({
          host,
          type: 'network',
          resource,
          name: n.name,
          action: 'create',
          cause: `consul overlay: bridge + VXLAN device (${what})`,
        });
      }
      const causes: string[] = [];
      const programmed = st?.programmed[host];
      const local = plan.underlays[host];
      if (bridgeOp) causes.push('new bridge');
      else if (!programmed || (alloc && programmed.vni !== alloc.vni)) causes.push('VXLAN device not programmed');
      else {
        // Records written before `local` was recorded: the lease's underlay is what that helper run was given.
        const wasLocal = programmed.local ?? st?.leases[host]?.underlay;
        if (wasLocal !== local) causes.push(`underlay address changed: ${wasLocal ?? '(unknown)'} → ${local}`);
        if (alloc && programmed.mtu !== undefined && programmed.mtu !== alloc.mtu)
          causes.push(`MTU ${programmed.mtu} → ${alloc.mtu}`);
        if (programmed.peers.join(',') !== peers.join(','))
          causes.push(`peers changed: ${programmed.peers.join(' ') || '(none)'} → ${peers.join(' ') || '(none)'}`);
      }
      const devices = ov.devices?.[host];
      if (typeof devices === 'string')
        diagnostics.push(warning(`host ${host}: VXLAN devices could not be listed: ${devices}`, { host }));
      else if (devices && alloc && !bridgeOp) {
        const dev = deviceName(alloc.vni);
        const seen = devices[dev];
        if (!seen) causes.push(`VXLAN device ${dev} is missing`);
        else {
          if (seen.vni !== undefined && seen.vni !== alloc.vni)
            causes.push(`VXLAN device ${dev} has VNI ${seen.vni}, not ${alloc.vni}`);
          if (seen.local !== undefined && seen.local !== local)
            causes.push(`VXLAN device ${dev} has local address ${seen.local}, not ${local}`);
          if (seen.mtu !== undefined && seen.mtu !== alloc.mtu)
            causes.push(`VXLAN device ${dev} has MTU ${seen.mtu}, not ${alloc.mtu}`);
          if (seen.peers.join(',') !== peers.join(','))
            causes.push(
              `VXLAN device forwards to ${seen.peers.join(' ') || '(none)'}, not ${peers.join(' ') || '(none)'}`,
            );
        }
      }
      let programOp: string | undefined;
      if (causes.length) {
        programOp = b.add(
          'overlay.program',
          host,
          `program overlay ${n.name}`,
          resource,
          causes.join('; '),
          [allocOp, bridgeOp, helperPull(plan, observed, b, host)],
          {
            stack,
            key,
            name: n.name,
            host,
            peers,
            image: plan.helperImage,
            ...(observed.owner ? { owner: observed.owner } : {}),
          },
        );
        if (!bridgeOp)
          b.change({
            host,
            type: 'network',
            resource,
            name: n.name,
            action: 'update',
            cause: `consul overlay: ${causes.join('; ')}`,
          });
      }
      ready.set(`${host} ${key}`, programOp ?? bridgeOp);
    }
  }
  return plan;
}

/**
 * The stack file's `ipam` subnet of a Consul-backed network (canonical), undefined when it gives none, null
 * when it cannot be honoured (the reasons are pushed as errors). Stack's own overlay gives each host a range of
 * the subnet and that range's first address as gateway, so `gateway`, `ip_range` and a second subnet cannot be
 * honoured; the subnet must hold a lease per host and overlap no other network's claim in Consul, and a
 * network keeps the subnet it was allocated.
 */
function fixedSubnet(
  n: NetworkSpec,
  alloc: NetworkAllocation | undefined,
  kv: OverlayKvState,
  stack: string,
  hosts: number,
  diagnostics: Diagnostic[],
): string | undefined | null {
  const configs = n.ipam?.config ?? [];
  const path = `networks.${n.key}.ipam`;
  const before = diagnostics.length;
  const engineHint = 'or use x-stack.overlay: engine on daemons with a cluster store';
  if (n.ipam?.driver && n.ipam.driver !== 'default')
    diagnostics.push(
      error(
        `network ${n.key}: ipam driver ${n.ipam.driver} is not supported by stack's own overlay`,
        { path: `${path}.driver` },
        `drop it, ${engineHint}`,
      ),
    );
  if (configs.length > 1)
    diagnostics.push(
      error(
        `network ${n.key}: stack's own overlay gives a network one subnet; ipam.config has ${configs.length}`,
        { path: `${path}.config` },
        'keep one',
      ),
    );
  configs.forEach((c, i) => {
    const extra = [c.gateway !== undefined && 'gateway', c.ipRange !== undefined && 'ip_range'].filter(Boolean);
    if (extra.length)
      diagnostics.push(
        error(
          `network ${n.key}: ${extra.join(' and ')} cannot be honoured on stack's own overlay, which gives each host a /${kv.pool.leasePrefix} range of the subnet and that range's first address as gateway`,
          { path: `${path}.config[${i}]` },
          `keep only subnet, ${engineHint}`,
        ),
      );
  });
  const text = configs[0]?.subnet;
  if (diagnostics.length > before) return null;
  if (!text) return undefined;
  let subnet: string;
  try {
    subnet = canonicalCidr(text);
  } catch {
    // Not a CIDR block at all is reported by the general subnet checks (src/plan/network-checks.ts).
    if (!/:/.test(text)) return null;
    diagnostics.push(
      error(`network ${n.key}: subnet ${text} is IPv6; stack's own overlay is IPv4 only`, {
        path: `${path}.config[0].subnet`,
      }),
    );
    return null;
  }
  if (alloc) {
    if (alloc.subnet === subnet) return subnet;
    diagnostics.push(
      error(
        `network ${n.key} holds subnet ${alloc.subnet} in Consul; the stack file asks for ${subnet}, and a network cannot change its subnet in place`,
        { path: `${path}.config[0].subnet` },
        `keep ${alloc.subnet}, or remove the network (drop it from the file, or stack destroy) and apply again`,
      ),
    );
    return null;
  }
  const slots = leaseSlotsIn(subnet, kv.pool.leasePrefix);
  if (slots < hosts)
    diagnostics.push(
      error(
        `network ${n.key}: subnet ${subnet} holds ${slots} host lease${slots === 1 ? '' : 's'} of /${kv.pool.leasePrefix} (the first is the network's), and the network spans ${hosts} hosts`,
        { path: `${path}.config[0].subnet` },
        `use a larger subnet (/${kv.pool.leasePrefix - Math.ceil(Math.log2(hosts + 1))} or larger)`,
      ),
    );
  const id = networkId(stack, n.key);
  const claimed = [...kv.subnets]
    .filter(([s, c]) => c.owner !== id && cidrOverlaps(s, subnet))
    .map(([s, c]) => `${s} of overlay network ${c.owner}`);
  if (claimed.length)
    diagnostics.push(
      error(
        `network ${n.key}: subnet ${subnet} overlaps ${claimed.join(', ')} (claimed in Consul)`,
        { path: `${path}.config[0].subnet` },
        'choose a subnet no other network uses',
      ),
    );
  return diagnostics.length > before ? null : subnet;
}

/** Subnets of the networks on the hosts other than this one's own bridges: a new pool subnet must avoid them. */
function subnetsInUse(observed: ObservedState, hosts: string[], own: string): InUseSubnet[] {
  const found = new Map<string, InUseSubnet>();
  for (const h of hosts) {
    const o = observed.hosts[h];
    for (const net of [...o.networks, ...(o.foreignNetworks ?? [])]) {
      if (net.name === own) continue;
      for (const subnet of net.subnets ?? []) {
        const k = `${net.name} ${subnet}`;
        const seen = found.get(k);
        if (seen) seen.hosts.push(h);
        else found.set(k, { subnet, network: net.name, hosts: [h] });
      }
    }
  }
  return [...found.values()].sort((a, b) => a.network.localeCompare(b.network) || a.subnet.localeCompare(b.subnet));
}

/** The VNI label on a host's network is host data: the problem with one that is no VNI, else undefined. */
function vniProblem(label: string, where: string): string | undefined {
  try {
    parseVni(label, where);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Networks on the hosts whose VNI label is no VNI: reported by planOverlayNetworks, left alone by finishOverlay. */
function badVniLabels(observed: ObservedState, usable: string[]): { host: string; network: string; message: string }[] {
  const out: { host: string; network: string; message: string }[] = [];
  for (const host of usable)
    for (const n of observed.hosts[host].networks) {
      const label = n.labels[Labels.overlayVni];
      const message =
        label === undefined
          ? undefined
          : vniProblem(label, `host ${host}: network ${n.name}'s label ${Labels.overlayVni}`);
      if (message) out.push({ host, network: n.name, message });
    }
  return out;
}

function helperPull(plan: OverlayPlan, observed: ObservedState, b: OverlayBuilder, host: string): string | undefined {
  const image = plan.helperImage!;
  if (plan.helperPulls.has(host)) return plan.helperPulls.get(host);
  const present = helperImagePresent(observed.hosts[host].images, image);
  const id = present
    ? undefined
    : b.add('image.pull', host, `pull ${image}`, `image:${image}`, 'overlay helper image not present', [], { image });
  plan.helperPulls.set(host, id);
  return id;
}

/** A create op's endpoints: the one at create and those connected right after, by network name. */
function endpointsOf(b: OverlayBuilder, create: Operation): [string, Obj][] {
  const p = create.params as Obj;
  const endpoints: [string, Obj][] = [
    ...Object.entries((p.body.NetworkingConfig?.EndpointsConfig ?? {}) as Record<string, Obj>),
  ];
  for (const c of b.ops)
    if (c.kind === 'network.connect' && c.host === create.host && (c.params as Obj).container === p.name)
      endpoints.push([(c.params as Obj).network, (c.params as Obj).body.EndpointConfig]);
  return endpoints;
}

export function finishOverlay(
  desired: DesiredState,
  observed: ObservedState,
  usable: string[],
  b: OverlayBuilder,
  plan: OverlayPlan,
  rollouts: Rollout[] = [],
): void {
  const ov = observed.overlay;
  if (!plan.names.size || !ov?.kv || !plan.helperImage) return;
  const stack = desired.name;
  const wanted = new Set(
    Object.values(desired.networks)
      .filter((n) => plan.isConsul(n.key))
      .map((n) => n.name),
  );
  const find = (kind: OpKind, host: string, name: string, field = 'name') =>
    b.ops.find((o) => o.kind === kind && o.host === host && (o.params as Obj)[field] === name);

  // The replace groups the reconciler planned (src/plan/rollout.ts), looked up once rather than per replica.
  const opsByGroup = new Map<string, Operation[]>();
  for (const o of b.ops) if (o.group) opsByGroup.set(o.group, [...(opsByGroup.get(o.group) ?? []), o]);

  // Deregister before a replica stops (or is removed, when it is not running).
  const deregistered: string[] = [];
  for (const op of [...b.ops]) {
    if (op.kind !== 'container.stop' && op.kind !== 'container.remove') continue;
    const name = (op.params as Obj).name as string;
    if (op.kind === 'container.remove' && find('container.stop', op.host, name)) continue;
    const c = observed.hosts[op.host]?.containers.find((x) => x.name === name);
    if (!c || c.role) continue;
    // In a start-first replace the new replica's registration (same instance id) takes the old one's place.
    const group = op.group ? (opsByGroup.get(op.group) ?? []) : [];
    const takenOver = (net: string) =>
      group.some((d) => d.kind === 'rollout.drain') &&
      group.some((o) => o.kind === 'container.create' && endpointsOf(b, o).some(([n]) => n === net));
    const keys = c.networks.filter((net) => plan.names.has(net) && !takenOver(net)).map((net) => plan.names.get(net)!);
    const deps = op.deps;
    const added: string[] = [];
    for (const key of keys) {
      const serviceId = catalogId(stack, c.service, c.slot, key);
      if (!ov.registered[catalogService(stack, key)]?.includes(serviceId)) continue;
      added.push(
        b.add(
          'overlay.deregister',
          op.host,
          `deregister ${name} ${key}`,
          op.resource,
          'remove its name before it stops',
          deps,
          { node: catalogNode(op.host), serviceId },
        ),
      );
    }
    if (added.length) {
      op.deps = [...new Set([...op.deps, ...added])];
      deregistered.push(...added);
    }
  }

  // New containers on the overlay: Consul's DNS and search domain, no local aliases; registered after start.
  for (const op of [...b.ops]) {
    if (op.kind !== 'container.create') continue;
    const p = op.params as Obj;
    const body = p.body as Obj;
    const mine = endpointsOf(b, op).filter(([net]) => wanted.has(net));
    if (!mine.length) continue;
    const hc = (body.HostConfig ??= {});
    if (plan.dns) hc.Dns = [...new Set([plan.dns, ...(hc.Dns ?? [])])];
    hc.DnsSearch = [
      ...new Set([...mine.map(([net]) => searchDomain(stack, plan.names.get(net)!)), ...(hc.DnsSearch ?? [])]),
    ];
    const started = find('container.start', op.host, p.name);
    const renamed = find('container.rename', op.host, p.name);
    const finalName = renamed ? (renamed.params as Obj).newName : p.name;
    // start-first (a drain in its replace group): registered under its temporary name as soon as it is ready,
    // taking the old replica's place in the catalog; the drain waits for it, then the old one stops.
    const group = op.group ? (opsByGroup.get(op.group) ?? []) : [];
    const drain = group.find((o) => o.kind === 'rollout.drain');
    const ready = drain
      ? group.find(
          (o) =>
            o.kind === 'container.wait-healthy' ||
            o.kind === 'container.wait-running' ||
            o.kind === 'container.wait-ready',
        )
      : undefined;
    for (const [net, endpoint] of mine) {
      const key = plan.names.get(net)!;
      const tags = [...new Set<string>(endpoint.Aliases ?? [])].filter((a) => a !== finalName).sort();
      endpoint.Aliases = [];
      if (!started) continue;
      const params = {
        container: ready ? p.name : finalName,
        network: net,
        node: catalogNode(op.host),
        nodeAddress: plan.underlays[op.host] ?? '',
        serviceId: catalogId(stack, body.Labels[Labels.service], body.Labels[Labels.slot], key),
        service: catalogService(stack, key),
        tags,
        meta: { stack, service: body.Labels[Labels.service], slot: body.Labels[Labels.slot], host: op.host },
      };
      const extra = op.rollout ? { rollout: op.rollout } : undefined;
      const id = b.add(
        'overlay.register',
        op.host,
        `register ${params.container} ${key}`,
        op.resource,
        `name in Consul (${tags.join(', ')}.${searchDomain(stack, key)})`,
        [ready?.id ?? renamed?.id ?? started.id],
        params,
        ready ? op.group : undefined,
        extra,
      );
      if (drain) drain.deps = [...drain.deps, id];
      if (!op.group || !renamed) continue;
      // A replace: the old replica's name again when the replace fails after it left the catalog (start-first:
      // once the new one took its place; stop-first: once it was stopped), and when the rollout rolls back.
      const again = { ...params, container: finalName };
      const left = drain
        ? id
        : b.ops.find((o) => o.group === op.group && o.kind === 'container.stop' && (o.params as Obj).name === finalName)
            ?.id;
      if (left)
        b.compensations
          .find((c) => c.group === op.group)
          ?.ops.push({
            id: `${op.host} undo: register ${finalName} ${key}`,
            kind: 'overlay.register',
            host: op.host,
            resource: op.resource,
            cause: 'replacement failed',
            deps: [],
            params: again,
            write: true,
            ifDone: left,
          });
      const replica = rollouts.flatMap((r) => r.batches.flat()).find((x) => x.group === op.group);
      if (replica) {
        const back = {
          id: `${op.host} rollback: register ${finalName} ${key}`,
          kind: 'overlay.register' as const,
          host: op.host,
          resource: op.resource,
          cause: 'rollback to the previous version',
          deps: [],
          params: again,
          write: true,
        };
        const waitAt = replica.rollback.findIndex(
          (x) => x.kind.startsWith('container.wait') && (x.params as Obj).name === finalName,
        );
        replica.rollback.splice(waitAt < 0 ? replica.rollback.length : waitAt + 1, 0, back);
      }
    }
  }

  // Running replicas the catalog lacks (Consul lost them): register again.
  for (const host of usable) {
    for (const c of observed.hosts[host].containers) {
      if (
        c.role ||
        c.state !== 'running' ||
        find('container.stop', host, c.name) ||
        find('container.remove', host, c.name)
      )
        continue;
      for (const net of c.networks.filter((x) => wanted.has(x))) {
        const key = plan.names.get(net)!;
        const serviceId = catalogId(stack, c.service, c.slot, key);
        if (ov.registered[catalogService(stack, key)]?.includes(serviceId)) continue;
        const tags = [c.service, ...(((c.config?.networks as Obj)?.[net]?.aliases as string[]) ?? [])];
        b.add(
          'overlay.register',
          host,
          `register ${c.name} ${key}`,
          `service:${c.service}:${c.slot}`,
          'running, but not in the catalog',
          [],
          {
            container: c.name,
            network: net,
            node: catalogNode(host),
            nodeAddress: plan.underlays[host] ?? '',
            serviceId,
            service: catalogService(stack, key),
            tags: [...new Set(tags)].sort(),
            meta: { stack, service: c.service, slot: c.slot, host },
          },
        );
      }
    }
  }

  // Networks no longer wanted: the device after the bridge network, the leases after every host.
  const released = new Map<string, string[]>();
  for (const host of usable) {
    for (const n of observed.hosts[host].networks) {
      const vni = n.labels[Labels.overlayVni];
      if (!vni || !n.key || wanted.has(n.name) || vniProblem(vni, '')) continue;
      const rm = find('network.remove', host, n.name);
      const un = b.add(
        'overlay.unprogram',
        host,
        `remove VXLAN ${deviceName(Number(vni))}`,
        `network:${n.key}`,
        'its network is removed',
        [rm?.id, helperPull(plan, observed, b, host)],
        {
          stack,
          key: n.key,
          host,
          vni: Number(vni),
          image: plan.helperImage,
          ...(observed.owner ? { owner: observed.owner } : {}),
        },
      );
      released.set(n.key, [...(released.get(n.key) ?? []), un]);
    }
  }
  for (const id of ov.kv.networks.keys()) {
    const key = id.slice(stack.length + 1);
    if (id.startsWith(`${stack}/`) && !plan.isConsul(key)) released.set(key, released.get(key) ?? []);
  }
  for (const [key, deps] of [...released].sort(([a], [c]) => a.localeCompare(c))) {
    b.add(
      'overlay.release',
      usable[0],
      `release overlay ${stack}/${key}`,
      `network:${key}`,
      'VNI, subnet and leases back to the pool',
      [...deps, ...deregistered],
      { stack, key },
    );
  }
}
