/** The end of an apply: counts, outcome and root causes (each failure with what it skipped), from the run's state. */
import type { Operation } from '../plan/types.js';
import type { ApplyOutcome, OpStatus, RootCause } from './result.js';

export interface SummaryInput {
  operations: readonly Operation[];
  status: Record<string, OpStatus>;
  /** Skipped operation → its root cause (an operation id, `interrupt`, or a lost host's operation). */
  rootCause: ReadonlyMap<string, string>;
  failures: { op: string; error: string }[];
  interrupted: boolean;
}

export interface Summary {
  ok: boolean;
  outcome: ApplyOutcome;
  done: number;
  failed: number;
  /** Skipped and interrupted. */
  skipped: number;
  rootCauses: RootCause[];
}

export function summarize(input: SummaryInput): Summary {
  const statuses = Object.values(input.status);
  const count = (s: OpStatus) => statuses.filter((x) => x === s).length;
  const ok = input.failures.length === 0 && count('skipped') === 0 && count('interrupted') === 0;
  const outcome: ApplyOutcome = ok ? 'ok' : input.interrupted ? 'interrupted' : 'failed';
  return {
    ok,
    outcome,
    done: count('done'),
    failed: count('failed'),
    skipped: count('skipped') + count('interrupted'),
    rootCauses: rootCauses(input),
  };
}

function rootCauses(input: SummaryInput): RootCause[] {
  const hostOf = new Map(input.operations.map((op) => [op.id, op.host]));
  const roots = new Map<string, RootCause>();
  for (const f of input.failures)
    roots.set(f.op, { op: f.op, host: hostOf.get(f.op) ?? '', error: f.error, skipped: [] });
  for (const [id, root] of input.rootCause) {
    if (input.status[id] !== 'skipped') continue;
    let r = roots.get(root);
    if (!r) {
      const error = root === 'interrupt' ? 'interrupted' : `${root} failed`;
      roots.set(root, (r = { op: root, host: '', error, skipped: [] }));
    }
    r.skipped.push(id);
  }
  return [...roots.values()];
}
