/** Running the built `stack` command against the sandbox: stack folders, inventories, live event streams. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Labels } from '../../src/labels.js';
import { engine, repoRoot, sandbox as readSandbox, sandboxSsh, type SandboxHost } from '../helpers/sandbox.js';

export const bin = path.join(repoRoot, 'bin', 'stack.js');

/**
 * Builds dist/ when it is missing or older than src/ or schemas/ (test/run.sh builds before; a single file run
 * may not have). Never rebuilds a fresh dist/: other workers are running the CLI from it, and a build rewrites
 * every file. Under a lock, checked again inside it, so workers starting together build once.
 */
let built = false;
export function ensureBuilt(): void {
  if (built) return;
  const script =
    '[ -f dist/cli/main.js ] && [ -z "$(find src schemas -newer dist/cli/main.js -type f | head -1)" ] || npm run --silent build';
  const r = spawnSync('flock', [path.join(os.tmpdir(), 'stack-build.lock'), 'sh', '-c', script], {
    cwd: repoRoot,
    stdio: 'ignore',
  });
  if (r.status !== 0) throw new Error('npm run build failed');
  built = true;
}

export function writeDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-faults-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

export interface InventoryHost {
  name: string;
  endpoint: string;
  labels?: Record<string, string>;
  tls?: SandboxHost['tls'];
  /** ssh:// hosts: the client key and known_hosts files. */
  identity?: string;
  knownHosts?: string;
}

/** The sandbox's hosts (by name) as inventory entries over their sockets, or over ssh:// with the sandbox's key. */
export function sandboxHosts(names: string[], transport: 'socket' | 'ssh' = 'socket'): InventoryHost[] {
  const all = readSandbox().hosts;
  return names.map((n) => {
    const h = all.find((x) => x.name === n)!;
    if (transport === 'socket') return { name: h.name, endpoint: h.socket, labels: h.labels };
    const ssh = sandboxSsh();
    return {
      name: h.name,
      endpoint: ssh.hosts[n],
      labels: h.labels,
      identity: ssh.identity,
      knownHosts: ssh.knownHosts,
    };
  });
}

export function inventoryYaml(hosts: InventoryHost[]): string {
  const lines = ['hosts:'];
  for (const h of hosts) {
    lines.push(`  ${h.name}:`, `    endpoint: ${h.endpoint}`);
    if (h.tls) lines.push(`    tls: { ca: ${h.tls.ca}, cert: ${h.tls.cert}, key: ${h.tls.key} }`);
    if (h.identity) lines.push(`    identity: ${h.identity}`);
    if (h.knownHosts) lines.push(`    known_hosts: ${h.knownHosts}`);
    if (h.labels && Object.keys(h.labels).length)
      lines.push(
        `    labels: { ${Object.entries(h.labels)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ')} }`,
      );
  }
  return `${lines.join('\n')}\n`;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Lock, history and identity of these stacks (no Consul in their inventory) go to a temporary state directory, not
 * $HOME. The library's deploy() (reconcile-helpers.ts) keeps its identities here too, so that a stack applied with
 * the CLI is the same stack to deploy() (a cleanup, say), and the other way round.
 */
export const stateDir = mkdtempSync(path.join(os.tmpdir(), 'stack-cli-state-'));

/** Starts `stack ARGS` in cwd (`env` added to its environment); `done` resolves when it exits; `stdout()` is what it printed so far. */
export function startStack(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<CliResult>; stdout: () => string } {
  return startCommand(process.execPath, [bin, ...args], { cwd, env });
}

/**
 * Starts any command (a script the tests run as an operator or a CI runner would) with the tests' plain environment:
 * PATH, no HOME, NO_COLOR, the tests' state directory, and `env` on top.
 */
export function startCommand(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): { child: ChildProcess; done: Promise<CliResult>; stdout: () => string } {
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: '/nonexistent',
      NO_COLOR: '1',
      STACK_STATE_DIR: stateDir,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, stdout: () => stdout };
}

export function runStack(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  return startStack(args, cwd, env).done;
}

export interface LiveEvent {
  host: string;
  Type: string;
  Action: string;
  name: string;
}

/**
 * Watches the live event streams of hosts for events about a stack (label or name prefix); calls
 * onEvent for each. `ready` resolves once every stream is open; stop() closes them.
 */
export async function watchEvents(
  hosts: string[],
  stack: string,
  onEvent: (e: LiveEvent, count: number) => void = () => undefined,
): Promise<{ events: LiveEvent[]; stop: () => void }> {
  const events: LiveEvent[] = [];
  const streams = await Promise.all(
    hosts.map(async (h) => ({
      h,
      s: (await engine(readSandbox().hosts.find((x) => x.name === h)!).getEvents({})) as NodeJS.ReadableStream & {
        destroy: () => void;
      },
    })),
  );
  for (const { h, s } of streams) {
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.trim()) continue;
        const e = JSON.parse(line);
        const attrs = e.Actor?.Attributes ?? {};
        const name = String(attrs.name ?? '');
        if (attrs[Labels.stack] !== stack && !name.startsWith(stack)) continue;
        const ev = { host: h, Type: e.Type, Action: String(e.Action).split(':')[0], name };
        events.push(ev);
        onEvent(ev, events.length);
      }
    });
    s.on('error', () => undefined);
  }
  return { events, stop: () => streams.forEach(({ s }) => s.destroy()) };
}
