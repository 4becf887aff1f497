/**
 * The planner's part for stack's own overlay networks (pure, synchronous). Before services are planned,
 * `planOverlayNetworks` decides per `driver: overlay` network which overlay realises it, and for
 * Consul-backed ones adds, per network and host, only what is missing:
 *   overlay.allocate  (Consul, check-and-set) VNI, subnet, leases for hosts without one
 *   overlay.bridge    the host's bridge network (subnet, its range and gateway, MTU 1450, labelled)
 *   overlay.program   the helper that makes the VXLAN device and sets its peers (when the bridge is new,
 *                     the recorded device differs from what it must be — peers, own underlay address,
 *                     VNI, MTU — or --refresh found the device gone or different)
 * A fixed `ipam` subnet is honoured: checked here against Consul's claims (the hosts' networks are
 * checked by src/plan/network-checks.ts), and claimed with check-and-set at apply like a pool subnet.
 * Containers on the network wait for their host's part. `finishOverlay` (finish.ts) does the rest.
 */
import type { DesiredState, HostSpec, NetworkSpec } from '../../../stack/types.js';
import type { ObservedState } from '../../../observe/types.js';
import { error, warning, type Diagnostic } from '../../../errors.js';
import { Labels } from '../../../labels.js';
import {
  chooseOverlay,
  clusterStores,
  dnsServers,
  overlayNetworks,
  UNDERLAY_LABEL,
  underlayOf,
} from '../../../overlay/mode.js';
import { HELPER_IMAGE_HINT } from '../../../overlay/helper-image.js';
import { networkId, type NetworkState } from '../../../overlay/state.js';
import type { OverlayObserved } from '../../../overlay/types.js';
import {
  badVniLabels,
  emptyOverlayPlan,
  type NetworkContext,
  type NetworkPart,
  type OverlayBuilder,
  type OverlayPlan,
} from './overlay-plan.js';
import { fixedSubnet, subnetsInUse } from './subnets.js';
import { planHostPart } from './host-part.js';

export function planOverlayNetworks(
  desired: DesiredState,
  observed: ObservedState,
  usable: string[],
  b: OverlayBuilder,
  diagnostics: Diagnostic[],
): OverlayPlan {
  const ov = observed.overlay;
  const plan = emptyOverlayPlan();
  const consulKeys = chooseOverlays(desired, observed, usable, plan);
  nameNetworks(desired, observed, usable, plan, consulKeys, diagnostics);
  if (!consulKeys.size && !plan.names.size) return plan;
  if (!ov || ov.error || ov.invalid || !ov.kv) {
    diagnostics.push(unreadable(ov));
    return plan;
  }
  for (const note of ov.kv.notes) diagnostics.push(warning(note));
  plan.dns = dnsServers(ov.consul ? [ov.consul, ...(ov.consulFallbacks ?? [])] : [], ov.kv.pool.dns);
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
  findUnderlays(desired, usable, plan, consulKeys.size > 0, diagnostics);
  const ready = new Map<string, string | undefined>();
  plan.ready = (host, key) => ready.get(`${host} ${key}`);
  const hostsOn = usable.filter((h) => plan.underlays[h]);
  const ctx: NetworkContext = { desired, observed, usable, hostsOn, ov, kv: ov.kv, b, plan, diagnostics, ready };
  for (const key of [...consulKeys].sort()) planNetwork(ctx, key);
  return plan;
}

/** Which overlay realises each `driver: overlay` network (recorded in the plan); the keys stack's own realises. */
function chooseOverlays(
  desired: DesiredState,
  observed: ObservedState,
  usable: string[],
  plan: OverlayPlan,
): Set<string> {
  const consulKeys = new Set<string>();
  for (const n of overlayNetworks(desired)) {
    const choice = chooseOverlay(n.key, desired.settings.overlay, clusterStores(observed, usable), usable);
    plan.choices.push(choice);
    if (choice.mode === 'consul') consulKeys.add(n.key);
  }
  plan.isConsul = (key) => consulKeys.has(key);
  plan.wanted = new Set(
    Object.values(desired.networks)
      .filter((n) => consulKeys.has(n.key))
      .map((n) => n.name),
  );
  return consulKeys;
}

/** Every Consul-backed network of the stack by its name on the daemons: on the hosts, in Consul, in the file. */
function nameNetworks(
  desired: DesiredState,
  observed: ObservedState,
  usable: string[],
  plan: OverlayPlan,
  consulKeys: Set<string>,
  diagnostics: Diagnostic[],
): void {
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
  const stack = desired.name;
  for (const [id, st] of observed.overlay?.kv?.networks ?? [])
    if (id.startsWith(`${stack}/`) && st.allocation) plan.names.set(st.allocation.name, st.allocation.key);
  for (const key of consulKeys) plan.names.set(desired.networks[key].name, key);
}

/** Why the overlay's state cannot be planned on: Consul unreadable, or a value in it invalid. */
function unreadable(ov: OverlayObserved | undefined): Diagnostic {
  if (ov?.invalid)
    return error(
      ov.invalid,
      undefined,
      'stack validates everything it reads from Consul and never runs it; fix or remove that key (someone with write access to stack/overlay/ wrote it); nothing was changed',
    );
  return error(
    `Consul-backed overlay: ${ov?.error ?? 'its state was not observed'}`,
    undefined,
    'set `consul:` in the inventory (or x-stack.consul) to a reachable Consul; nothing was changed',
  );
}

/** Each usable host's underlay address (the VXLAN endpoint) into the plan; hosts without one are reported. */
function findUnderlays(
  desired: DesiredState,
  usable: string[],
  plan: OverlayPlan,
  anyConsul: boolean,
  diagnostics: Diagnostic[],
): void {
  const specs = new Map<string, HostSpec>(desired.hosts.map((h) => [h.name, h]));
  for (const h of usable) {
    const u = underlayOf(specs.get(h)!);
    if (u.address) plan.underlays[h] = u.address;
    else if (u.error)
      diagnostics.push(
        error(u.error, { host: h }, `give the host the label ${UNDERLAY_LABEL}=IP (an IPv4 address) in the inventory`),
      );
    else if (anyConsul)
      diagnostics.push(
        error(
          `host ${h}: no underlay address for the overlay`,
          { host: h },
          `use a tcp://IP endpoint, or give the host the label ${UNDERLAY_LABEL}=IP in the inventory`,
        ),
      );
  }
}

/** One Consul-backed network: refused when the hosts hold something else under its name, else allocate + hosts. */
function planNetwork(ctx: NetworkContext, key: string): void {
  const { desired, kv, hostsOn, diagnostics } = ctx;
  const n = desired.networks[key];
  const st = kv.networks.get(networkId(desired.name, key));
  // What exists on the hosts must be this allocation's; anything else is refused rather than guessed at.
  const foreign = foreignHosts(ctx, n.name, st);
  if (foreign.length) {
    diagnostics.push(
      error(
        `network ${n.name} exists on ${foreign.join(', ')}`,
        { path: `networks.${key}` },
        'remove it (stack destroy, or docker network rm once no container uses it) and apply again',
      ),
    );
    return;
  }
  const fixed = fixedSubnet(n, st?.allocation, kv, desired.name, hostsOn.length, diagnostics);
  if (fixed === null) return;
  const part: NetworkPart = { n, st, allocOp: allocateOp(ctx, n, st, fixed) };
  for (const host of hostsOn) planHostPart(ctx, part, host);
}

/** Hosts where a network of that name is not this allocation's bridge (with why). */
function foreignHosts(ctx: NetworkContext, name: string, st: NetworkState | undefined): string[] {
  const alloc = st?.allocation;
  return ctx.hostsOn.flatMap((h) => {
    const o = ctx.observed.hosts[h].networks.find((x) => x.name === name);
    if (!o) return [];
    const vni = o.labels[Labels.overlayVni];
    if (o.driver !== 'bridge' || !vni) return [`${h} (driver ${o.driver}, not stack's own overlay)`];
    if (!alloc) return [`${h} (VNI ${vni}, which Consul has no allocation for)`];
    return vni === String(alloc.vni) ? [] : [`${h} (VNI ${vni}, Consul says ${alloc.vni})`];
  });
}

/** The allocate op, when the network has no allocation yet or some host needs a (new) lease. */
function allocateOp(
  ctx: NetworkContext,
  n: NetworkSpec,
  st: NetworkState | undefined,
  fixed: string | undefined,
): string | undefined {
  const { hostsOn, plan } = ctx;
  const alloc = st?.allocation;
  const newLeases = hostsOn.filter((h) => !st?.leases[h]);
  const moved = hostsOn.filter((h) => st?.leases[h] && st.leases[h].underlay !== plan.underlays[h]);
  const leaseCause = [
    newLeases.length ? `host leases for ${newLeases.join(', ')}` : '',
    ...moved.map((h) => `underlay of ${h} changed: ${st!.leases[h].underlay} → ${plan.underlays[h]}`),
  ]
    .filter(Boolean)
    .join('; ');
  if (alloc && !leaseCause) return undefined;
  return ctx.b.add(
    'overlay.allocate',
    hostsOn[0] ?? ctx.usable[0],
    `allocate overlay ${n.name}`,
    `network:${n.key}`,
    !alloc
      ? `new network: VNI, ${fixed ? `subnet ${fixed} (from the stack file)` : 'subnet'} and host leases (check-and-set in Consul)`
      : leaseCause,
    [],
    {
      stack: ctx.desired.name,
      key: n.key,
      name: n.name,
      hosts: Object.fromEntries(hostsOn.map((h) => [h, plan.underlays[h]])),
      ...(fixed ? { subnet: fixed } : {}),
      ...(!alloc ? { inUse: subnetsInUse(ctx.observed, hostsOn, n.name) } : {}),
    },
  );
}
