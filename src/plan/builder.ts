/**
 * The plan builder: the reconciler (and the network drivers it asks) add operations and resource changes through
 * it. It names each operation (`h1 create app-web-1`, `#2` when taken), drops empty dependencies and checks that
 * every dependency and `after` names an operation added before or reserved. An operation is final once added: it
 * is frozen (its deps, `after` and params too), and nothing rewrites it.
 *
 * A driver that must be waited for by an operation the reconciler adds now, but adds its own operation only later
 * (in its finish), reserves that operation's id first (`reserve`) and adds it under that id (`AddExtra.reserved`).
 * `build()` checks every reserved id was added and that no cycle arose through one; without reservations the DAG
 * is acyclic by construction. Pure.
 */
import type { Compensation, FieldChange, Operation, OperationOf, OpKind, OpParams, ResourceChange } from './types.js';
import { acyclic } from './acyclic.js';

/** `after` (ids that must settle, whatever their outcome), the rollout an operation belongs to, its reserved id. */
export interface AddExtra {
  after?: string[];
  rollout?: string;
  /** An id from `reserve(host, label)` with this operation's host and label: the operation takes it. */
  reserved?: string;
}

export class Builder {
  readonly ops: Operation[] = [];
  readonly byId = new Map<string, Operation>();
  readonly changes: ResourceChange[] = [];
  readonly compensations: Compensation[] = [];
  /** Reserved ids not added yet → `host label` they were reserved for. */
  private readonly pending = new Map<string, string>();
  private reservedAny = false;

  /** Reserves the id of an operation added later (with `AddExtra.reserved`); deps may name it from now on. */
  reserve(host: string, label: string): string {
    const id = this.freeId(host, label);
    this.pending.set(id, `${host} ${label}`);
    this.reservedAny = true;
    return id;
  }

  /** Adds one operation (its key order is the plan's JSON), final from now on; returns its id. */
  add<K extends OpKind>(
    kind: K,
    host: string,
    label: string,
    resource: string,
    cause: string,
    deps: (string | undefined)[],
    params: OpParams[K],
    group?: string,
    extra: AddExtra = {},
  ): string {
    const id = extra.reserved === undefined ? this.freeId(host, label) : this.takeReserved(extra.reserved, host, label);
    const realDeps = [...new Set(deps.filter((d): d is string => !!d))];
    for (const d of realDeps) if (!this.known(d)) throw new Error(`plan bug: ${id} depends on unknown ${d}`);
    for (const d of extra.after ?? []) if (!this.known(d)) throw new Error(`plan bug: ${id} comes after unknown ${d}`);
    const write = !kind.startsWith('container.wait') && !kind.startsWith('rollout.');
    const after = extra.after?.length ? { after: Object.freeze([...new Set(extra.after)]) as string[] } : {};
    const op: OperationOf<K> = {
      id,
      kind,
      host,
      resource,
      cause,
      deps: Object.freeze(realDeps) as string[],
      params: deepFreeze(params),
      write,
      ...after,
      ...(group ? { group } : {}),
      ...(extra.rollout ? { rollout: extra.rollout } : {}),
    };
    Object.freeze(op);
    this.ops.push(asOperation(op));
    this.byId.set(id, asOperation(op));
    return id;
  }

  /**
   * The operations, once every reserved id was added and no cycle arose through one. Throws a plan bug otherwise
   * (the planner's own mistake, never the user's).
   */
  build(): Operation[] {
    const [missing] = this.pending;
    if (missing) throw new Error(`plan bug: ${missing[0]} was reserved but never added`);
    if (this.reservedAny) {
      const cycle = acyclic(this.ops);
      if (cycle) throw new Error(`plan bug: a dependency cycle through ${cycle}`);
    }
    return this.ops;
  }

  /** The `name` parameter of an added operation (the container, network or volume it acts on), if it has one. */
  nameOf(id: string | undefined): string | undefined {
    const op = id === undefined ? undefined : this.byId.get(id);
    return op && 'name' in op.params ? op.params.name : undefined;
  }

  change(c: Omit<ResourceChange, 'fields'> & { fields?: FieldChange[] }): void {
    this.changes.push({ ...c, fields: c.fields ?? [] });
  }

  private known(id: string): boolean {
    return this.byId.has(id) || this.pending.has(id);
  }

  private freeId(host: string, label: string): string {
    let id = `${host} ${label}`;
    for (let i = 2; this.known(id); i++) id = `${host} ${label} #${i}`;
    return id;
  }

  private takeReserved(id: string, host: string, label: string): string {
    const reservedFor = this.pending.get(id);
    if (reservedFor !== `${host} ${label}`)
      throw new Error(
        `plan bug: ${id} is ${reservedFor ? `reserved for ${reservedFor}, not ${host} ${label}` : 'not reserved'}`,
      );
    this.pending.delete(id);
    return id;
  }
}

/** Freezes a plain value and everything in it (params are JSON-like: objects, arrays, scalars). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}

/**
 * An operation of kind K as a member of the union: with a generic K, TypeScript cannot see that
 * `{ kind: K; params: OpParams[K] }` is one of its members; this is the one place that says so.
 */
export function asOperation<K extends OpKind, E extends object = object>(op: OperationOf<K> & E): Operation & E {
  return op as Operation & E;
}

/** How the reconciler's helpers (rollouts, drivers) add an operation: `Builder.add`. */
export type AddOp = Builder['add'];
