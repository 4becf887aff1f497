/**
 * The plan builder: the reconciler (and the network drivers it asks) add operations and resource changes through
 * it. It names each operation (`h1 create app-web-1`, `#2` when taken), drops empty dependencies and checks that
 * every dependency and `after` names an operation added before — so the DAG is acyclic by construction. Pure.
 */
import type { Compensation, FieldChange, Operation, OperationOf, OpKind, OpParams, ResourceChange } from './types.js';

/** `after` (ids that must settle, whatever their outcome) and the rollout an operation belongs to. */
export interface AddExtra {
  after?: string[];
  rollout?: string;
}

export class Builder {
  readonly ops: Operation[] = [];
  readonly byId = new Map<string, Operation>();
  readonly changes: ResourceChange[] = [];
  readonly compensations: Compensation[] = [];

  /** Adds one operation (its key order is the plan's JSON); returns its id. */
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
    let id = `${host} ${label}`;
    for (let i = 2; this.byId.has(id); i++) id = `${host} ${label} #${i}`;
    const realDeps = [...new Set(deps.filter((d): d is string => !!d))];
    for (const d of realDeps) if (!this.byId.has(d)) throw new Error(`plan bug: ${id} depends on unknown ${d}`);
    for (const d of extra.after ?? [])
      if (!this.byId.has(d)) throw new Error(`plan bug: ${id} comes after unknown ${d}`);
    const write = !kind.startsWith('container.wait') && !kind.startsWith('rollout.');
    const after = extra.after?.length ? { after: [...new Set(extra.after)] } : {};
    const op: OperationOf<K> = {
      id,
      kind,
      host,
      resource,
      cause,
      deps: realDeps,
      params,
      write,
      ...after,
      ...(group ? { group } : {}),
      ...(extra.rollout ? { rollout: extra.rollout } : {}),
    };
    this.ops.push(asOperation(op));
    this.byId.set(id, asOperation(op));
    return id;
  }

  /** The `name` parameter of an added operation (the container, network or volume it acts on), if it has one. */
  nameOf(id: string | undefined): string | undefined {
    const op = id === undefined ? undefined : this.byId.get(id);
    return op && 'name' in op.params ? op.params.name : undefined;
  }

  change(c: Omit<ResourceChange, 'fields'> & { fields?: FieldChange[] }): void {
    this.changes.push({ ...c, fields: c.fields ?? [] });
  }
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
