/**
 * What the planner checks about objects that are not the stack's own (src/observe/owner.ts): they are never
 * touched, so a plan that would collide with one is refused before any write. Pure.
 *
 * - another identity's objects of this stack name: a second stack of the same name on these hosts (error,
 *   naming both owners and where each keeps its state);
 * - objects with this stack's labels and no identity (made by hand, or by a stack version before identities):
 *   left alone (warning);
 * - a name the plan would create that a foreign container, network or volume already has: error (a volume or
 *   network of that name is used only when the file says `external: true`).
 */
import type { DesiredState } from '../stack/types.js';
import type { ObservedHost, ObservedState } from '../observe/types.js';
import { hasStackLabels, ownerOf, printable } from '../observe/owner.js';
import { Labels, type StackOwner } from '../labels.js';
import { error, warning, type Diagnostic } from '../errors.js';
import type { Operation } from './types.js';
import { collate } from '../collate.js';

type Kind = 'container' | 'network' | 'volume';

interface Foreign {
  kind: Kind;
  name: string;
  host: string;
  labels: Record<string, string>;
}

const list = (xs: string[]) => xs.join(', ');

function foreignObjects(h: ObservedHost): Foreign[] {
  return [
    ...(h.foreignContainers ?? []).map((c) => ({
      kind: 'container' as const,
      name: c.name,
      host: h.name,
      labels: c.labels,
    })),
    ...(h.foreignNetworks ?? []).map((n) => ({
      kind: 'network' as const,
      name: n.name,
      host: h.name,
      labels: n.labels,
    })),
    ...(h.foreignVolumes ?? []).map((v) => ({ kind: 'volume' as const, name: v.name, host: h.name, labels: v.labels })),
  ];
}

function describeOwner(owner: StackOwner | undefined): string {
  if (!owner) return 'no identity yet';
  return `identity ${owner.id}${owner.new ? ' (made at its first apply)' : ''}, state: ${owner.state}`;
}

/** Objects of this stack's name that are not this run's, by who made them. */
export function ownershipProblems(desired: DesiredState, observed: ObservedState, usable: string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const others = new Map<string, { owner: StackOwner; hosts: Set<string>; names: Set<string> }>();
  const ownerless = new Map<string, string[]>();
  for (const host of usable)
    for (const f of foreignObjects(observed.hosts[host])) {
      if (!hasStackLabels(f.labels, desired.name)) continue;
      const owner = ownerOf(f.labels);
      if (!owner) {
        ownerless.set(host, [...(ownerless.get(host) ?? []), `${f.kind} ${f.name}`]);
        continue;
      }
      const seen = others.get(owner.id) ?? { owner, hosts: new Set<string>(), names: new Set<string>() };
      seen.hosts.add(host);
      seen.names.add(`${f.kind} ${f.name}`);
      others.set(owner.id, seen);
    }
  for (const { owner, hosts, names } of [...others.values()].sort((a, b) => collate(a.owner.id, b.owner.id)))
    out.push({
      severity: 'error',
      summary: `a second stack named ${desired.name} is on ${list([...hosts])}: its objects belong to ${describeOwner(owner)}; this run is ${describeOwner(observed.owner)}`,
      detail: `objects of the other stack (never touched): ${list([...names].sort().slice(0, 10))}${names.size > 10 ? `, and ${names.size - 10} more` : ''}`,
      where: { host: [...hosts][0] },
      hint: `give this stack another name (-p NAME or name: in the file), or run with the other stack's state store (${owner.state})`,
    });
  for (const [host, names] of ownerless)
    out.push(
      warning(
        `${list(names.sort())} on ${host} carr${names.length > 1 ? 'y' : 'ies'} the labels of stack ${desired.name} but no stack identity (made by hand, or by a stack version before identities): left alone`,
        { host },
        'remove it by hand if it is an old copy of this stack (docker rm -f, docker network rm, docker volume rm)',
      ),
    );
  return out;
}

/** The object an operation creates on its host, if it creates one. */
function created(op: Operation): { kind: Kind; name: string } | undefined {
  const p = op.params as { name?: string; body?: { Name?: string } };
  switch (op.kind) {
    case 'container.create':
      return p.name ? { kind: 'container', name: p.name } : undefined;
    case 'network.create':
      return p.body?.Name ? { kind: 'network', name: p.body.Name } : undefined;
    case 'overlay.bridge':
      return p.name ? { kind: 'network', name: p.name } : undefined;
    case 'volume.create':
      return p.body?.Name ? { kind: 'volume', name: p.body.Name } : undefined;
    default:
      return undefined;
  }
}

function whoseIs(f: Foreign, stack: string): string {
  const owner = ownerOf(f.labels);
  const theirs = printable(f.labels[Labels.stack] ?? '?');
  if (owner) return `stack ${theirs}, ${describeOwner(owner)}`;
  if (hasStackLabels(f.labels, stack)) return `labels of stack ${stack} without an identity`;
  return f.labels[Labels.managed] === 'true' ? `stack ${theirs}` : 'not made by stack';
}

function keyOf(desired: DesiredState, kind: Kind, name: string): string | undefined {
  if (kind === 'network') return Object.values(desired.networks).find((n) => n.name === name)?.key;
  if (kind === 'volume') return Object.values(desired.volumes).find((v) => v.name === name)?.key;
  return undefined;
}

function collisionHint(kind: Kind, key: string | undefined): string {
  if (kind === 'container') return 'remove or rename that container, or give this stack another name (-p NAME)';
  return `to use the existing ${kind}, declare it with external: true${key ? ` (${kind}s.${key})` : ''}; otherwise give it another name:, or remove it`;
}

/**
 * Creates that would meet a foreign object of the same name: refused. A network in the daemons' cluster store
 * is listed by every host, so it is seen from the host the create goes through.
 */
export function nameCollisions(
  desired: DesiredState,
  observed: ObservedState,
  ops: readonly Operation[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const op of ops) {
    const c = created(op);
    const host = observed.hosts[op.host];
    if (!c || !host) continue;
    const hit = foreignObjects(host).find((f) => f.kind === c.kind && f.name === c.name);
    if (!hit || seen.has(`${op.host} ${c.kind} ${c.name}`)) continue;
    // Another identity's object of this very stack: ownershipProblems names it with both owners already.
    if (hasStackLabels(hit.labels, desired.name) && ownerOf(hit.labels)) continue;
    seen.add(`${op.host} ${c.kind} ${c.name}`);
    const key = keyOf(desired, c.kind, c.name);
    const path = key
      ? `${c.kind}s.${key}`
      : op.resource.startsWith('service:')
        ? `services.${op.resource.split(':')[1]}`
        : undefined;
    out.push(
      error(
        `${c.kind} ${c.name} already exists on ${op.host} and is not this stack's (${whoseIs(hit, desired.name)}): stack never takes over or removes it`,
        { host: op.host, ...(path ? { path } : {}) },
        collisionHint(c.kind, key),
      ),
    );
  }
  return out;
}
