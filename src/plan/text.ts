/**
 * The plan's stable text form (golden tests compare it byte for byte) and its JSON document.
 * Pure functions returning strings; the CLI views decide where and whether to print, and with colour.
 */
import { formatLocation } from '../errors.js';
import { ACTION_SYMBOL, type Plan, type ResourceChange } from './types.js';
import { formatFieldChange } from './diff.js';
import { countChanges } from './reconcile.js';
import { rolloutText } from './rollout/text.js';

export interface TextOptions {
  /** Colour functions; identity by default. */
  paint?: {
    add: (s: string) => string;
    change: (s: string) => string;
    remove: (s: string) => string;
    dim: (s: string) => string;
    bold: (s: string) => string;
  };
  /** List every operation with its dependencies (golden tests and `--verbose`). */
  operations?: boolean;
}

const plain = {
  add: (s: string) => s,
  change: (s: string) => s,
  remove: (s: string) => s,
  dim: (s: string) => s,
  bold: (s: string) => s,
};

export function summaryLine(plan: Plan): string {
  const c = countChanges(plan);
  if (plan.operations.length === 0) return `stack ${plan.stack}: no changes`;
  return `stack ${plan.stack}: ${c.create} to create, ${c.replace} to replace, ${c.update} to update, ${c.delete} to delete (${plan.operations.length} operations)`;
}

/** The plan grouped by host, then shared resources and services, with + ~ - ± and the changed fields. */
export function planText(plan: Plan, options: TextOptions = {}): string {
  const p = options.paint ?? plain;
  const colour = (c: ResourceChange) => (c.action === 'create' ? p.add : c.action === 'delete' ? p.remove : p.change);
  const lines: string[] = [p.bold(summaryLine(plan))];
  // Which overlay realises each `driver: overlay` network, and why (when there is something to do).
  if (plan.operations.length)
    for (const o of plan.overlay ?? [])
      lines.push(
        `network ${o.network}: ${o.mode === 'consul' ? "stack's own overlay (VXLAN, Consul)" : "the engine's overlay"}  ${p.dim(o.why)}`,
      );
  const line = (c: ResourceChange, indent: string) => {
    const what = c.type === 'container' ? c.name : `${c.type} ${c.name}`;
    lines.push(`${indent}${colour(c)(`${ACTION_SYMBOL[c.action]} ${what}`)}  ${p.dim(c.cause)}`);
    for (const f of c.fields) lines.push(`${indent}    ${formatFieldChange(f)}`);
  };
  // Global-scope (overlay) networks are one object for every host: shown once, before the hosts.
  const shared = plan.changes.filter((c) => c.allHosts);
  if (shared.length) {
    lines.push(p.bold('all hosts'));
    for (const c of shared) line(c, '  ');
  }
  for (const host of plan.hosts) {
    const changes = plan.changes.filter((c) => c.host === host && !c.allHosts);
    if (!changes.length) continue;
    lines.push(`host ${p.bold(host)}`);
    for (const c of changes.filter((c) => !c.service)) line(c, '  ');
    const services = [...new Set(changes.filter((c) => c.service).map((c) => c.service!))].sort();
    for (const s of services) {
      lines.push(`  service ${s}`);
      for (const c of changes.filter((c) => c.service === s)) line(c, '    ');
    }
  }
  for (const r of plan.rollouts ?? []) lines.push(...rolloutText(r));
  for (const d of plan.diagnostics) {
    const where = formatLocation(d.where);
    lines.push(`${d.severity}: ${where ? `${where}: ` : ''}${d.summary}`);
  }
  if (options.operations && plan.operations.length) {
    lines.push(`operations:`);
    for (const op of plan.operations) {
      lines.push(`  ${op.id}  [${op.kind} ${op.resource}] ${p.dim(op.cause)}`);
      if (op.deps.length) lines.push(`      after ${op.deps.join(', ')}`);
      if (op.after?.length) lines.push(`      once settled: ${op.after.join(', ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The plan as one JSON document (`stack plan --json`). Carries no secret bytes: files are referenced by key. */
export function planJson(plan: Plan): Record<string, unknown> {
  return {
    format_version: '1',
    stack: plan.stack,
    hosts: plan.hosts,
    has_changes: plan.operations.length > 0,
    summary: countChanges(plan),
    changes: plan.changes,
    operations: plan.operations,
    compensations: plan.compensations,
    placement: plan.placement,
    rollouts: plan.rollouts,
    diagnostics: plan.diagnostics,
    overlay: plan.overlay ?? [],
    ...(plan.policy
      ? {
          policy: {
            mode: plan.policy.mode,
            violations: plan.policy.violations.length,
            diagnostics: plan.policy.violations,
          },
        }
      : {}),
  };
}
