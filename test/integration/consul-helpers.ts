/** Shared by the Consul tests: the stack CLI as a child process, stack folders, an inventory of pool=main hosts, Consul over HTTP. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { repoRoot } from '../helpers/sandbox.js';
import { sandbox } from './reconcile-helpers.js';

export const bin = path.join(repoRoot, 'bin', 'stack.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a CLI child gets: no CONSUL_HTTP_ADDR or STACK_INVENTORY from the test runner. */
export function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...extra };
}

export function spawnStack(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env: cliEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

export function stackCli(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return spawnStack(args, options).done;
}

/** A fresh folder with these files. */
export function folder(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-consul-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** An inventory of the pool=main hosts over tcp+TLS, with the sandbox's Consul unless `consul` is null. */
export function inventoryYaml(consul: string | null = sandbox().consul.http): string {
  const lines = ['hosts:'];
  for (const h of sandbox().hosts) {
    lines.push(
      `  ${h.name}:`,
      `    endpoint: ${h.tcp}`,
      `    tls: { ca: ${h.tls.ca}, cert: ${h.tls.cert}, key: ${h.tls.key} }`,
    );
    lines.push(
      `    labels: { ${Object.entries(h.labels)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')} }`,
    );
  }
  if (consul) lines.push(`consul: ${consul}`);
  return `${lines.join('\n')}\n`;
}

export const consulAddress = () => sandbox().consul.http.replace(/\/+$/, '');

/** Consul's HTTP API (for assertions): parsed JSON, or undefined on 404. */
export async function consulApi<T = unknown>(pathAndQuery: string, init: RequestInit = {}): Promise<T | undefined> {
  const res = await fetch(`${consulAddress()}/v1/${pathAndQuery}`, init);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`consul ${pathAndQuery}: HTTP ${res.status} ${await res.text()}`);
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The lock key's current holder session, if any. */
export async function lockSession(stack: string): Promise<string | undefined> {
  const items = await consulApi<{ Session?: string }[]>(`kv/stack/${stack}/lock`);
  return items?.[0]?.Session;
}

/** Destroys the stack on the hosts and removes its keys from Consul, after the test. */
export function cleanupStack(t: ExecutionContext, stack: string, dir: string, args: string[] = []): void {
  t.teardown(async () => {
    await stackCli(['destroy', '-y', '-i', 'inventory.yaml', '-p', stack, '--lock-timeout', '60s', ...args], {
      cwd: dir,
    }).catch(() => undefined);
    await consulApi(`kv/stack/${stack}/?recurse=true`, { method: 'DELETE' }).catch(() => undefined);
  });
}

/** NDJSON lines of `apply --json` output, after the plan document. */
export function events(stdout: string): { type: string; time: string; op?: { id: string } }[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{"type"'))
    .map((l) => JSON.parse(l));
}
