/** Policy tests: a stack file and an inventory with a `policy:`, loaded; its policy diagnostics. */
import type { Diagnostic } from '../../../../src/errors.js';
import type { LoadResult } from '../../../../src/stack/index.js';
import { load } from '../helpers.js';

export const HOSTS = 'hosts:\n  h1: { endpoint: "unix:///run/h1.sock", labels: {} }\n';

/** Loads `compose` named `name` (the stack) with an inventory carrying `policy` (YAML text, or none). */
export async function loadWithPolicy(
  compose: string,
  policy?: string,
  extra: Record<string, string> = {},
): Promise<LoadResult & { dir: string }> {
  const inventory = policy === undefined ? HOSTS : `${HOSTS}policy:\n${indent(policy)}`;
  return load({ 'compose.yaml': compose, 'inv.yaml': inventory, ...extra }, { inventory: 'inv.yaml' });
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n');

/** The policy diagnostics of a load (those with a rule id). */
export function violations(result: LoadResult, rule?: string): Diagnostic[] {
  return result.diagnostics.filter((d) => d.rule !== undefined && (rule === undefined || d.rule === rule));
}

/** A stack `demo` with the given services YAML (indented under services:). */
export function stack(services: string, rest = ''): string {
  return `name: demo\nservices:\n${services}${rest}`;
}
