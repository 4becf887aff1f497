/** Placement constraints (`node.hostname == h1`, `node.labels.role != db`) and which hosts satisfy them. */
import type { ConstraintSpec, HostSpec } from '../types.js';

const CONSTRAINT = /^\s*([A-Za-z0-9_.-]+)\s*(==|!=)\s*(\S(?:.*\S)?)\s*$/;
const FIELDS = new Set(['node.hostname', 'node.id', 'node.role', 'node.platform.os', 'node.platform.arch']);

export type ConstraintParse = { constraint: ConstraintSpec } | { error: string; hint?: string };

export function parseConstraint(text: string): ConstraintParse {
  const match = CONSTRAINT.exec(text);
  if (!match)
    return {
      error: `invalid constraint "${text}"`,
      hint: 'write FIELD == VALUE or FIELD != VALUE, e.g. node.labels.role == web',
    };
  const [, field, op, rawValue] = match;
  if (!FIELDS.has(field) && !(field.startsWith('node.labels.') && field.length > 'node.labels.'.length)) {
    return {
      error: `unknown constraint field "${field}" in "${text}"`,
      hint: field.startsWith('engine.labels.')
        ? 'use node.labels.KEY (host labels from the inventory or x-stack.hosts)'
        : 'fields: node.hostname, node.id, node.role, node.platform.os, node.platform.arch, node.labels.KEY',
    };
  }
  const value = rawValue.replace(/^(["'])(.*)\1$/, '$2');
  return { constraint: { field, op: op as ConstraintSpec['op'], value, text: text.trim() } };
}

/**
 * Whether a host may satisfy a constraint. node.hostname and node.id are the host's name, node.labels.* its labels;
 * node.role and node.platform.* cannot be known without contacting the host, so they never exclude one here.
 */
export function hostMaySatisfy(host: HostSpec, c: ConstraintSpec): boolean {
  let actual: string | undefined;
  if (c.field === 'node.hostname' || c.field === 'node.id') actual = host.name;
  else if (c.field.startsWith('node.labels.')) actual = host.labels[c.field.slice('node.labels.'.length)];
  else return true;
  return c.op === '==' ? actual === c.value : actual !== c.value;
}

export function eligibleHosts(hosts: readonly HostSpec[], constraints: readonly ConstraintSpec[]): HostSpec[] {
  return hosts.filter((h) => constraints.every((c) => hostMaySatisfy(h, c)));
}
