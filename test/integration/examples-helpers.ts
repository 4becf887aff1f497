/** Applying the files in examples/ as a user does: the sandbox's own inventory (tcp+TLS and its Consul), minus h4. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { parse, stringify } from 'yaml';
import { repoRoot } from '../helpers/sandbox.js';
import { runStack } from './cli-helpers.js';
import { consulApi } from './consul-helpers.js';

/** The example's compose file, by folder name. */
export const example = (name: string) => path.join(repoRoot, 'examples', name, 'compose.yaml');

/**
 * A folder holding the inventory `npm run sandbox -- up` wrote, without h4 (the spare host other tests stop and
 * restart). Its hosts are reached over tcp+TLS, and its Consul holds the lock and history.
 */
export function sandboxInventoryDir(): string {
  const json = process.env.STACK_SANDBOX_JSON ?? path.join(repoRoot, '.sandbox', 'sandbox.json');
  const inventory = parse(readFileSync(path.join(path.dirname(json), 'inventory.yaml'), 'utf8')) as { hosts: Record<string, unknown> };
  delete inventory.hosts.h4;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-example-'));
  writeFileSync(path.join(dir, 'inventory.yaml'), stringify(inventory));
  return dir;
}

/** Applies an example under its own stack name (-p); destroys it, its volumes and its Consul keys afterwards. */
export async function applyExample(t: ExecutionContext, name: string, stack: string): Promise<{ dir: string; args: string[] }> {
  const dir = sandboxInventoryDir();
  const args = ['-f', example(name), '-i', 'inventory.yaml', '-p', stack];
  t.teardown(async () => {
    await runStack(['destroy', '--yes', '--prune-volumes', ...args], dir).catch(() => undefined);
    await consulApi(`kv/stack/${stack}/?recurse=true`, { method: 'DELETE' }).catch(() => undefined);
  });
  const r = await runStack(['apply', '--yes', ...args], dir);
  t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  return { dir, args };
}
