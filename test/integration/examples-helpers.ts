/** Applying the files in examples/ as a user does: the sandbox's own inventory (tcp+TLS and its Consul), minus h4. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { parse, stringify } from 'yaml';
import { repoRoot } from '../helpers/sandbox.js';
import { runStack } from './cli-helpers.js';
import { consulApi } from './consul-helpers.js';

const sandboxJson = () => process.env.STACK_SANDBOX_JSON ?? path.join(repoRoot, '.sandbox', 'sandbox.json');

/**
 * The examples' `${STACK_REGISTRY}`: the registry of the sandbox the tests run on (the examples' default is the
 * default instance's; STACK_SANDBOX_JSON can point the tests at another instance, e.g. one on Engine 28).
 */
export function exampleRegistry(): string {
  return (JSON.parse(readFileSync(sandboxJson(), 'utf8')) as { registry: string }).registry;
}

/** The example's compose file, by folder name. */
export const example = (name: string) => path.join(repoRoot, 'examples', name, 'compose.yaml');

/**
 * A folder holding the inventory `npm run sandbox -- up` wrote, without h4 (the spare host other tests stop and
 * restart). Its hosts are reached over tcp+TLS, and its Consul holds the lock and history.
 */
export function sandboxInventoryDir(extra: Record<string, string> = {}): string {
  const json = sandboxJson();
  const inventory = parse(readFileSync(path.join(path.dirname(json), 'inventory.yaml'), 'utf8')) as {
    hosts: Record<string, unknown>;
  };
  delete inventory.hosts.h4;
  Object.assign(inventory, extra);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-example-'));
  writeFileSync(path.join(dir, 'inventory.yaml'), stringify(inventory));
  return dir;
}

/**
 * Host ports the examples publish (`${WEB_PORT:-8080}`), as the tests set them: none is the examples' default, so
 * what `npm run demo` left on the sandbox (web-db on 8080) never holds a port a test needs, and each example's
 * test has its own.
 */
export const EXAMPLE_PORTS = { 'web-db': '18181', replicated: '18182' } as const;

/** Applies an example under its own stack name (-p); destroys it, its volumes and its Consul keys afterwards. */
export async function applyExample(
  t: ExecutionContext,
  name: string,
  stack: string,
): Promise<{ dir: string; args: string[]; env: Record<string, string> }> {
  // examples/build builds on h1 and pushes to the sandbox's registry (the inventory names both).
  const dir = sandboxInventoryDir(name === 'build' ? { registry: exampleRegistry(), builder: 'h1' } : {});
  const args = ['-f', example(name), '-i', 'inventory.yaml', '-p', stack];
  const env: Record<string, string> = {
    STACK_REGISTRY: exampleRegistry(),
    ...(name in EXAMPLE_PORTS ? { WEB_PORT: EXAMPLE_PORTS[name as keyof typeof EXAMPLE_PORTS] } : {}),
  };
  t.teardown(async () => {
    await runStack(['destroy', '--yes', '--prune-volumes', ...args], dir, env).catch(() => undefined);
    await consulApi(`kv/stack/${stack}/?recurse=true`, { method: 'DELETE' }).catch(() => undefined);
  });
  const r = await runStack(['apply', '--yes', ...args], dir, env);
  t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  return { dir, args, env };
}
