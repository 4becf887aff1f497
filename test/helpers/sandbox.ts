/** The sandbox as tests see it: its description (.sandbox/sandbox.json), Engine clients, one-shot containers. */
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';

export const repoRoot = join(import.meta.dirname, '..', '..');

export interface SandboxHost {
  name: string;
  ip: string;
  netns: string;
  socket: string;
  tcp: string;
  tls: { ca: string; cert: string; key: string };
  labels: Record<string, string>;
}

/** A host whose Engine has no tcp listener: reached over ssh:// only (its unix socket is the sandbox's own way in). */
export interface SshOnlyHost {
  name: string;
  ip: string;
  netns: string;
  socket: string;
  ssh: string;
}

/**
 * The sandbox's SSH side (.sandbox/ssh.json): the client key, the known_hosts of every host key, each host's key
 * folder, every host's ssh://root@IP (its sshd runs `docker system dial-stdio` against that host's dockerd).
 */
export interface SandboxSsh {
  inventory: string;
  hosts: Record<string, string>;
  identity: string;
  knownHosts: string;
  /** HOST/host_ed25519_key(.pub) under this folder. */
  hostKeys: string;
  sshOnly: SshOnlyHost[];
}

export interface Sandbox {
  bridge: string;
  gateway: string;
  clusterStore: string | null;
  /** The hosts' Engine: `20.10` or `28` (`sandbox.sh up --engine`); absent in descriptions written before it. */
  engine?: string;
  hosts: SandboxHost[];
  infra: { netns: string; ip: string };
  /** `servers`: every Consul server's HTTP address (one, or three with `up --consul-servers 3`). */
  consul: { http: string; dns: string; servers?: string[] };
  etcd: string;
  registry: string;
  registryAuth: { address: string; username: string; password: string };
  /** The folder holding `docker-credential-sandbox` (answers for registryAuth); absent in descriptions from before it. */
  credentialHelperDir?: string;
  /** `helper`: the sandbox busybox by digest, the inventory's overlay.helper_image. */
  images: { busybox: string; busyboxLatest: string; private: string; helper: string };
  dockerCli: string;
  sandboxScript: string;
}

/**
 * The sandbox's description. Without an instance: the default sandbox (.sandbox/, or STACK_SANDBOX_JSON).
 * With one (`vx`): that separate instance's .sandbox-NAME/sandbox.json (STACK_SANDBOX_JSON_NAME overrides).
 */
export function sandbox(instance?: string): Sandbox {
  const file = instance
    ? (process.env[`STACK_SANDBOX_JSON_${instance.toUpperCase()}`] ??
      join(repoRoot, `.sandbox-${instance}`, 'sandbox.json'))
    : (process.env.STACK_SANDBOX_JSON ?? join(repoRoot, '.sandbox', 'sandbox.json'));
  if (!existsSync(file))
    throw new Error(`${file} is missing: run ${instance ? `STACK_SANDBOX=${instance} ` : ''}npm run sandbox -- up`);
  return JSON.parse(readFileSync(file, 'utf8')) as Sandbox;
}

/** How test/run.sh and the vxlan-* tests bring the `vx` instance up: hosts without a cluster store, on Engine 28. */
export const VX_UP_ARGS = ['--hosts', '4', '--no-cluster-store', '--engine', '28'];

/** The `c3` instance: two hosts and Consul as a 3-server raft cluster (consul-leader.test.ts stops its servers). */
export const C3_UP_ARGS = ['--hosts', '2', '--no-cluster-store', '--consul-servers', '3'];

/** The `s16` instance: sixteen hosts without a cluster store (scale-16.test.ts: the ordinary cycle at 16 hosts). */
export const S16_UP_ARGS = ['--hosts', '16', '--no-cluster-store'];

/**
 * Brings a separate sandbox instance up when it is not running (test/run.sh normally does it
 * first); under flock, so test files starting together do not race. Returns its description.
 */
export function sandboxInstanceUp(instance: string, args: string[]): Sandbox {
  const file = join(repoRoot, `.sandbox-${instance}`, 'sandbox.json');
  if (!process.env[`STACK_SANDBOX_JSON_${instance.toUpperCase()}`] && !instanceRunning(file))
    execFileSync(
      'flock',
      [
        '-o',
        `/tmp/stack-sandbox-${instance}.lock`,
        'bash',
        join(repoRoot, 'deploy', 'sandbox', 'sandbox.sh'),
        'up',
        ...args,
      ],
      {
        env: { ...process.env, STACK_SANDBOX: instance },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  return sandbox(instance);
}

/** Whether the instance's description exists and its first host's socket is there (a reboot leaves the file). */
function instanceRunning(file: string): boolean {
  if (!existsSync(file)) return false;
  const first = (JSON.parse(readFileSync(file, 'utf8')) as Sandbox).hosts[0];
  return first !== undefined && existsSync(first.socket.replace(/^unix:\/\//, ''));
}

/** A dockerode client for a sandbox host, over its unix socket (default) or tcp+TLS. */
export function engine(host: SandboxHost, transport: 'socket' | 'tls' = 'socket'): Docker {
  if (transport === 'socket') return new Docker({ socketPath: host.socket.replace(/^unix:\/\//, '') });
  const url = new URL(host.tcp);
  return new Docker({
    protocol: 'https',
    host: url.hostname,
    port: Number(url.port),
    ca: readFileSync(host.tls.ca),
    cert: readFileSync(host.tls.cert),
    key: readFileSync(host.tls.key),
  });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export interface RunResult {
  exitCode: number;
  output: string;
}

/** Runs a container to completion (removed afterwards) and returns its exit code and output (tty: not multiplexed). */
export async function runOnce(
  docker: Docker,
  image: string,
  cmd: string[],
  hostConfig: Docker.HostConfig = {},
  name?: string,
): Promise<RunResult> {
  const container = await docker.createContainer({ Image: image, Cmd: cmd, name, Tty: true, HostConfig: hostConfig });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = await container.logs({ stdout: true, stderr: true, follow: false });
    return { exitCode: StatusCode, output: logs.toString('utf8') };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** Polls fn until it returns a truthy value or the deadline passes (then returns the last value). */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 20_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) return last!;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The default sandbox's SSH side (.sandbox/ssh.json, or STACK_SANDBOX_SSH_JSON). */
export function sandboxSsh(): SandboxSsh {
  const file = process.env.STACK_SANDBOX_SSH_JSON ?? join(repoRoot, '.sandbox', 'ssh.json');
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run sandbox -- up`);
  return JSON.parse(readFileSync(file, 'utf8')) as SandboxSsh;
}
