/** Cycle check of a plan's operations (their `deps` and `after`), pure: Kahn's algorithm, linear in ops and edges. */
import type { Operation } from './types.js';

/** undefined when the operations form a DAG; else the id of an operation on (or behind) a cycle. */
export function acyclic(ops: readonly Operation[]): string | undefined {
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const op of ops) {
    const on = [...op.deps, ...(op.after ?? [])];
    waiting.set(op.id, on.length);
    for (const d of on) {
      const list = dependents.get(d);
      if (list) list.push(op.id);
      else dependents.set(d, [op.id]);
    }
  }
  const ready = ops.filter((op) => waiting.get(op.id) === 0).map((op) => op.id);
  let done = 0;
  while (ready.length) {
    const id = ready.pop()!;
    done++;
    for (const next of dependents.get(id) ?? []) {
      const left = waiting.get(next)! - 1;
      waiting.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  if (done === ops.length) return undefined;
  return ops.find((op) => waiting.get(op.id)! > 0)?.id;
}
