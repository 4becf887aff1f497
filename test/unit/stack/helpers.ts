/** Test helpers: write files into a fresh temporary folder and load them; find diagnostics by text. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatLocation, type Diagnostic } from '../../../src/errors.js';
import { loadStack, StackSchema, type LoadOptions, type LoadResult } from '../../../src/stack/index.js';
import type { DesiredState, ServiceSpec } from '../../../src/stack/types.js';
import { serviceConfig } from '../../../src/plan/config.js';
import { containerCreateBody } from '../../../src/plan/engine.js';
import { PUBLIC_TEST_KEY } from '../../../src/sensitive.js';

/** One schema for all tests in a worker (compiling takes ~100 ms). */
export const schema = new StackSchema();

export function writeTree(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-test-'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return dir;
}

export async function load(
  files: Record<string, string | Buffer>,
  options: Partial<LoadOptions> = {},
): Promise<LoadResult & { dir: string }> {
  const dir = writeTree(files);
  const result = await loadStack({ cwd: dir, env: {}, schema, ...options });
  return { ...result, dir };
}

export function errors(result: LoadResult): Diagnostic[] {
  return result.diagnostics.filter((d) => d.severity === 'error');
}

export function warnings(result: LoadResult): Diagnostic[] {
  return result.diagnostics.filter((d) => d.severity === 'warning');
}

/** The first diagnostic whose summary contains `text`, or throws listing all. */
export function find(result: LoadResult, text: string | RegExp): Diagnostic {
  const match = result.diagnostics.find((d) =>
    typeof text === 'string' ? d.summary.includes(text) : text.test(d.summary),
  );
  if (!match)
    throw new Error(`no diagnostic matching ${String(text)}; got:\n${result.diagnostics.map(describe).join('\n')}`);
  return match;
}

/** `file:line:col path` of a diagnostic. */
export function where(d: Diagnostic): string {
  return formatLocation(d.where);
}

export function describe(d: Diagnostic): string {
  return `${d.severity}: ${formatLocation(d.where)}: ${d.summary}`;
}

/** Indents a YAML snippet's lines (tests write files with template literals). */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = text.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/**
 * A loaded stack's service as the planner sends it: its config hash and the Engine's create body (replica 1,
 * under the public test key), for tests of keys that reach HostConfig or NetworkingConfig.
 */
export function createBodyOf(
  desired: DesiredState,
  service = 'web',
  digest?: string,
): { spec: ServiceSpec; hash: string; body: CreateBody; host: Record<string, unknown> } {
  const spec = desired.services[service];
  const sc = serviceConfig(desired, spec, digest, PUBLIC_TEST_KEY);
  const body = containerCreateBody(sc.config, {
    stack: desired.name,
    service,
    slot: '1',
    hash: sc.hash,
    json: sc.json,
    bundles: [],
    environment: sc.environment,
  }) as unknown as CreateBody;
  return { spec, hash: sc.hash, body, host: body.HostConfig };
}

/** The create body's parts the tests read (the rest is there too). */
export type CreateBody = Record<string, unknown> & {
  platform?: string;
  Labels: Record<string, string>;
  HostConfig: Record<string, unknown>;
  NetworkingConfig: { EndpointsConfig: Record<string, Record<string, unknown>> };
};
