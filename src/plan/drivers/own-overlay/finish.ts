/**
 * The end of stack's own overlay's planning (pure), once the reconciler planned every container: containers on a
 * Consul-backed network get Consul's DNS and search domain, each replica is registered in the catalog after start
 * and deregistered before stop, running replicas the catalog lost are registered again, and devices and leases of
 * networks no longer wanted are removed, after their bridge networks.
 *
 * A new container's DNS and aliases are decided before its create is added (endpoints.ts); the deregistrations a
 * stop waits for and the registrations a start-first drain waits for were reserved before that stop or drain was
 * added (reserve.ts) and are added here under their reserved ids. Finishing reads the reconciler's operations and
 * changes none of them.
 */
import type { DesiredState } from '../../../stack/types.js';
import type { ObservedState } from '../../../observe/types.js';
import type { Operation, OperationOf, OverlayRegisterParams, Rollout } from '../../types.js';
import { Labels } from '../../../labels.js';
import { catalogId, catalogNode, catalogService, deviceName, searchDomain } from '../../../overlay/names.js';
import { aliasKey, endpointsOf } from './endpoints.js';
import type { OverlayObserved } from '../../../overlay/types.js';
import { overlayFinishing, type Reservations } from './reserve.js';
import { helperPull, vniProblem, type OverlayBuilder, type OverlayPlan } from './overlay-plan.js';
import { collate } from '../../../collate.js';

/** What finishing reads, shared by its steps. */
interface FinishContext {
  stack: string;
  observed: ObservedState;
  usable: string[];
  b: OverlayBuilder;
  plan: OverlayPlan;
  ov: OverlayObserved;
  rollouts: Rollout[];
  /** Names on the daemons of the Consul-backed networks the file wants. */
  wanted: Set<string>;
  /** The replace groups the reconciler planned (src/plan/rollout.ts), looked up once rather than per replica. */
  opsByGroup: Map<string, Operation[]>;
  /** What was reserved while the reconciler built stops and drains (reserve.ts). */
  reserved: Reservations;
}

type NamedKind = 'container.stop' | 'container.remove' | 'container.start' | 'container.rename' | 'network.remove';

export function finishOverlay(
  desired: DesiredState,
  observed: ObservedState,
  usable: string[],
  b: OverlayBuilder,
  plan: OverlayPlan,
  reserved: Reservations,
  rollouts: Rollout[] = [],
): void {
  const ov = observed.overlay;
  if (!overlayFinishing(plan, observed) || !ov) return;
  const wanted = plan.wanted;
  const opsByGroup = new Map<string, Operation[]>();
  for (const o of b.ops) if (o.group) opsByGroup.set(o.group, [...(opsByGroup.get(o.group) ?? []), o]);
  const ctx: FinishContext = {
    stack: desired.name,
    observed,
    usable,
    b,
    plan,
    ov,
    rollouts,
    wanted,
    opsByGroup,
    reserved,
  };
  const deregistered = deregisterBeforeStop(ctx);
  // New containers on the overlay: Consul's DNS and search domain, no local aliases; registered after start.
  for (const op of [...b.ops]) if (op.kind === 'container.create') registerCreated(ctx, op);
  registerLost(ctx);
  releaseUnwanted(ctx, deregistered);
}

/** The op of that kind on the host acting on that name (a container or network). */
function findNamed<K extends NamedKind>(
  ops: Operation[],
  kind: K,
  host: string,
  name: string,
): OperationOf<K> | undefined {
  return ops.find(
    (o): o is Operation & OperationOf<K> =>
      o.kind === kind && o.host === host && 'name' in o.params && o.params.name === name,
  );
}

/** The deregistrations reserved before the stops (reserve.ts), added in their order: their ids. */
function deregisterBeforeStop(ctx: FinishContext): string[] {
  return ctx.reserved.deregisters.map((d) =>
    ctx.b.add(
      'overlay.deregister',
      d.host,
      d.label,
      d.resource,
      'remove its name before it stops',
      d.deps,
      d.params,
      undefined,
      { reserved: d.id },
    ),
  );
}

/** How a created container is registered: after which op, and what a start-first replace adds. */
interface Registration {
  op: OperationOf<'container.create'>;
  started: OperationOf<'container.start'>;
  renamed?: OperationOf<'container.rename'>;
  finalName: string;
  drain?: Operation;
  ready?: Operation;
}

function registerCreated(ctx: FinishContext, op: OperationOf<'container.create'>): void {
  const { b, plan } = ctx;
  const mine = endpointsOf(b, op).filter(([net]) => ctx.wanted.has(net));
  if (!mine.length) return;
  const started = findNamed(b.ops, 'container.start', op.host, op.params.name);
  const renamed = findNamed(b.ops, 'container.rename', op.host, op.params.name);
  const finalName = renamed ? renamed.params.newName : op.params.name;
  // start-first (a drain in its replace group): registered under its temporary name as soon as it is ready,
  // taking the old replica's place in the catalog; the drain waits for it, then the old one stops.
  const group = op.group ? (ctx.opsByGroup.get(op.group) ?? []) : [];
  const drain = group.find((o) => o.kind === 'rollout.drain');
  const ready = drain
    ? group.find(
        (o) =>
          o.kind === 'container.wait-healthy' ||
          o.kind === 'container.wait-running' ||
          o.kind === 'container.wait-ready',
      )
    : undefined;
  // The ids a start-first drain waits for were reserved before it was added (reserve.ts), one per endpoint.
  const reserved = ctx.reserved.registers.get(op.id) ?? [];
  mine.forEach(([net], i) => {
    const written = plan.aliases.get(aliasKey(op.host, op.params.name, net)) ?? [];
    const tags = [...new Set<string>(written)].filter((a) => a !== finalName).sort();
    if (started) registerEndpoint(ctx, { op, started, renamed, finalName, drain, ready }, net, tags, reserved[i]);
  });
}

function registerEndpoint(
  ctx: FinishContext,
  r: Registration,
  net: string,
  tags: string[],
  reserved: string | undefined,
): void {
  const { b, plan, stack } = ctx;
  const { op, drain, ready } = r;
  const key = plan.names.get(net)!;
  const labels = op.params.body.Labels!;
  const params: OverlayRegisterParams = {
    container: ready ? op.params.name : r.finalName,
    network: net,
    node: catalogNode(op.host),
    nodeAddress: plan.underlays[op.host] ?? '',
    serviceId: catalogId(stack, labels[Labels.service], labels[Labels.slot], key),
    service: catalogService(stack, key),
    tags,
    meta: { stack, service: labels[Labels.service], slot: labels[Labels.slot], host: op.host },
  };
  const extra = { ...(op.rollout ? { rollout: op.rollout } : {}), ...(reserved ? { reserved } : {}) };
  const id = b.add(
    'overlay.register',
    op.host,
    `register ${params.container} ${key}`,
    op.resource,
    `name in Consul (${tags.join(', ')}.${searchDomain(stack, key)})`,
    [ready?.id ?? r.renamed?.id ?? r.started.id],
    params,
    ready ? op.group : undefined,
    extra,
  );
  if (!op.group || !r.renamed) return;
  // A replace: the old replica's name again when the replace fails after it left the catalog (start-first:
  // once the new one took its place; stop-first: once it was stopped), and when the rollout rolls back.
  const left = drain
    ? id
    : b.ops.find((o) => o.group === op.group && o.kind === 'container.stop' && o.params.name === r.finalName)?.id;
  registerAgain(ctx, op, key, { ...params, container: r.finalName }, left);
}

/** The old replica's registration as a compensation of its replace group and as a step of its rollback. */
function registerAgain(
  ctx: FinishContext,
  op: OperationOf<'container.create'>,
  key: string,
  again: OverlayRegisterParams,
  left: string | undefined,
): void {
  const finalName = again.container;
  if (left)
    ctx.b.compensations
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
  const replica = ctx.rollouts.flatMap((r) => r.batches.flat()).find((x) => x.group === op.group);
  if (!replica) return;
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
    (x) => x.kind.startsWith('container.wait') && 'name' in x.params && x.params.name === finalName,
  );
  replica.rollback.splice(waitAt < 0 ? replica.rollback.length : waitAt + 1, 0, back);
}

/** The aliases a container was created with on a network, from its recorded config. */
function configuredAliases(config: Record<string, unknown> | undefined, net: string): string[] {
  const networks = config?.networks as Record<string, { aliases?: string[] } | undefined> | undefined;
  return networks?.[net]?.aliases ?? [];
}

/** Running replicas the catalog lacks (Consul lost them): register again. */
function registerLost(ctx: FinishContext): void {
  const { b, plan, stack } = ctx;
  for (const host of ctx.usable) {
    for (const c of ctx.observed.hosts[host].containers) {
      if (
        c.role ||
        c.state !== 'running' ||
        findNamed(b.ops, 'container.stop', host, c.name) ||
        findNamed(b.ops, 'container.remove', host, c.name)
      )
        continue;
      for (const net of c.networks.filter((x) => ctx.wanted.has(x))) {
        const key = plan.names.get(net)!;
        const serviceId = catalogId(stack, c.service, c.slot, key);
        if (ctx.ov.registered[catalogService(stack, key)]?.includes(serviceId)) continue;
        const tags = [c.service, ...configuredAliases(c.config, net)];
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
}

/** Networks no longer wanted: the device after the bridge network, the leases after every host. */
function releaseUnwanted(ctx: FinishContext, deregistered: string[]): void {
  const { b, plan, stack, observed } = ctx;
  const released = new Map<string, string[]>();
  for (const host of ctx.usable) {
    for (const n of observed.hosts[host].networks) {
      const vni = n.labels[Labels.overlayVni];
      if (!vni || !n.key || ctx.wanted.has(n.name) || vniProblem(vni, '')) continue;
      const rm = findNamed(b.ops, 'network.remove', host, n.name);
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
          image: plan.helperImage!,
          ...(observed.owner ? { owner: observed.owner } : {}),
        },
      );
      released.set(n.key, [...(released.get(n.key) ?? []), un]);
    }
  }
  for (const id of ctx.ov.kv!.networks.keys()) {
    const key = id.slice(stack.length + 1);
    if (id.startsWith(`${stack}/`) && !plan.isConsul(key)) released.set(key, released.get(key) ?? []);
  }
  for (const [key, deps] of [...released].sort(([a], [c]) => collate(a, c))) {
    b.add(
      'overlay.release',
      ctx.usable[0],
      `release overlay ${stack}/${key}`,
      `network:${key}`,
      'VNI, subnet and leases back to the pool',
      [...deps, ...deregistered],
      { stack, key },
    );
  }
}
