/**
 * The reconcile agent as a container (deploy/gitops/), on the `vx` instance (Engine 28, no cluster store):
 * - build-agent-image.sh builds the image without Docker Hub — the Debian base root filesystem from the cache
 *   (/var/cache/stack: debootstrap runs once per machine), `docker import`ed on h1, the Dockerfile adding this
 *   checkout's stack — and pushes it to the instance's registry, printed by digest;
 * - `stack apply -f deploy/gitops/compose.yaml` runs it on h1, its configuration (reconcile.yaml, an inventory of h2
 *   over TCP and TLS, the webhook secret) mounted from a folder the test writes;
 * - the repository is a bare repository served by `git daemon` on the instance's infra address (a sandbox address
 *   h1's containers reach, as an agent reaches a git server): a commit pushed there is applied on h2 by the
 *   containerised agent, and the next one within its 2 s interval; its /metrics and /healthz answer on h1's
 *   published port.
 * Left on h1 afterwards: the imported base and the agent's image (a second run builds from them in seconds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { Labels } from '../../src/labels.js';
import { engine, repoRoot, runOnce, sandboxInstanceUp, VX_UP_ARGS, type SandboxHost } from '../helpers/sandbox.js';
import { bin, ensureBuilt, inventoryYaml, startCommand, type CliResult } from './cli-helpers.js';
import { TestRepo } from './gitops-helpers.js';
import { eventually } from './reconcile-helpers.js';

const box = sandboxInstanceUp('vx', VX_UP_ARGS);
const [AGENT_HOST, TARGET] = ['h1', 'h2'].map((n) => box.hosts.find((h) => h.name === n)!);
const AGENT_PORT = '19090';
const AGENT_UID = 10001; // the image's user `stack` (deploy/gitops/Dockerfile)
const STACK = `gc-${process.pid}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'stack-agent-container-'));
const config = path.join(work, 'config');
const stateDir = path.join(work, 'state');
const agentInventory = path.join(work, 'agent-host.yaml');
let image = '';
let gitDaemon: ChildProcess | undefined;
let repoRootDir: string | undefined;

/** `stack ARGS` on deploy/gitops/compose.yaml, as the operator runs it. */
function agentStack(...args: string[]): Promise<CliResult> {
  return startCommand(
    process.execPath,
    [bin, ...args, '-i', agentInventory, '-f', path.join(repoRoot, 'deploy', 'gitops', 'compose.yaml')],
    {
      env: {
        STACK_STATE_DIR: stateDir,
        STACK_AGENT_IMAGE: image,
        STACK_AGENT_CONFIG: config,
        STACK_AGENT_PORT: AGENT_PORT,
      },
    },
  ).done;
}

function targetStack(replicas: number): string {
  return (
    `name: ${STACK}\nservices:\n  app:\n    image: ${box.images.busybox}\n` +
    `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]\n` +
    `    stop_grace_period: 2s\n    deploy:\n      replicas: ${replicas}\n`
  );
}

/** `git daemon` serving `base` read-only on the infra address, in the infra namespace; resolves with its port. */
async function startGitDaemon(base: string): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = String(20000 + Math.floor(Math.random() * 10000));
    const child = spawn(
      'nsenter',
      [
        `--net=/var/run/netns/${box.infra.netns}`,
        'git',
        'daemon',
        '--export-all',
        '--reuseaddr',
        '--informative-errors',
        `--base-path=${base}`,
        `--listen=${box.infra.ip}`,
        `--port=${port}`,
        base,
      ],
      { stdio: 'ignore' },
    );
    const up = await eventually(
      async () => (child.exitCode !== null ? 'exited' : (await reachable(box.infra.ip, port)) && 'listening'),
      10_000,
      `git daemon on ${box.infra.ip}:${port}`,
    );
    if (up === 'listening') {
      gitDaemon = child;
      return port;
    }
  }
  throw new Error('git daemon did not start on any of five ports');
}

function reachable(host: string, port: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port: Number(port) }, () => (s.end(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

/** The folder mounted at /etc/stack: readable by the image's user, the TLS key its own (stack refuses others'). */
function writeConfig(repoUrl: string): void {
  mkdirSync(path.join(config, 'tls'), { recursive: true });
  chmodSync(work, 0o755);
  for (const part of ['ca', 'cert', 'key'] as const)
    copyFileSync(TARGET.tls[part], path.join(config, 'tls', `${part}.pem`));
  chownSync(path.join(config, 'tls', 'key.pem'), AGENT_UID, AGENT_UID);
  chmodSync(path.join(config, 'tls', 'key.pem'), 0o600);
  const tls = { ca: 'tls/ca.pem', cert: 'tls/cert.pem', key: 'tls/key.pem' };
  writeFileSync(path.join(config, 'inventory.yaml'), inventoryYaml([{ name: 'h2', endpoint: TARGET.tcp, tls }]));
  writeFileSync(path.join(config, 'webhook-secret'), 'agent-container-test\n');
  writeFileSync(
    path.join(config, 'reconcile.yaml'),
    `repo: ${repoUrl}\nref: main\ninterval: 2s\ninventory: inventory.yaml\n` +
      `webhook: { listen: ':9090', secret_file: webhook-secret }\nstacks:\n  - path: app\n`,
  );
}

async function running(h: SandboxHost): Promise<string[]> {
  const cs = await engine(h).listContainers({ filters: { label: [`${Labels.stack}=${STACK}`] } });
  return cs.map((c) => c.Names[0]).sort();
}

async function agentLog(): Promise<string> {
  const logs = await engine(AGENT_HOST)
    .getContainer('stack-reconcile-agent-1')
    .logs({ stdout: true, stderr: true })
    .catch((e: unknown) => Buffer.from(String(e)));
  return logs.toString('utf8');
}

const appliedOk = (commit: string) => async () =>
  (await agentLog()).split('\n').some((l) => l.includes('"event":"applied"') && l.includes(commit));

test.before(() => {
  ensureBuilt();
  writeFileSync(agentInventory, inventoryYaml([{ name: 'h1', endpoint: AGENT_HOST.socket }]));
});

test.after.always(async () => {
  if (image) await agentStack('destroy', '--yes', '--prune-volumes');
  const docker = engine(TARGET);
  const f = { filters: { label: [`${Labels.stack}=${STACK}`] } };
  for (const c of await docker.listContainers({ all: true, ...f }))
    await docker.getContainer(c.Id).remove({ force: true });
  for (const n of await docker.listNetworks(f)) await docker.getNetwork(n.Id).remove();
  gitDaemon?.kill('SIGTERM');
  if (repoRootDir) rmSync(repoRootDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

test.serial('build-agent-image.sh refuses bad operator input by name, before any daemon is contacted', async (t) => {
  const script = path.join(repoRoot, 'deploy', 'gitops', 'build-agent-image.sh');
  const cases: [string[], RegExp][] = [
    [[], /--registry HOST:PORT is required/],
    [['--registry', 'a b/c'], /--registry 'a b\/c' is not HOST\[:PORT\]/],
    [['--registry', box.registry, '--mirror', 'ftp://x;y'], /--mirror 'ftp:\/\/x;y' is not an http\(s\) URL/],
    [['--registry', box.registry, '--tag', '-bad'], /--tag '-bad' is not a valid image tag/],
    [['--registry', box.registry, '--push'], /unknown argument '--push'/],
  ];
  for (const [args, message] of cases) {
    const r = await startCommand('bash', [script, ...args, '--docker-host', 'unix:///nonexistent.sock']).done;
    t.is(r.code, 1, args.join(' '));
    t.regex(r.stderr, message, args.join(' '));
  }
});

test.serial('the image is built from the cached Debian base and this checkout, pushed, pinned by digest', async (t) => {
  t.timeout(15 * 60_000, 'the first build on a machine runs debootstrap');
  const r = await startCommand('bash', [
    path.join(repoRoot, 'deploy', 'gitops', 'build-agent-image.sh'),
    '--registry',
    box.registry,
    '--docker-host',
    AGENT_HOST.socket,
  ]).done;
  t.is(r.code, 0, r.stderr);
  image = r.stdout.trim();
  t.regex(image, new RegExp(`^${box.registry.replace(/\./g, '\\.')}/stack-reconcile/agent@sha256:[0-9a-f]{64}$`));
  const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string })
    .version;
  const run = await runOnce(engine(AGENT_HOST), image, ['--version']);
  t.is(run.exitCode, 0, run.output);
  t.is(run.output.trim(), version);
});

test.serial(
  'applied by stack from deploy/gitops/compose.yaml, the containerised agent applies pushed commits on another host',
  async (t) => {
    t.truthy(image, 'the image was built');
    const repo = new TestRepo();
    repoRootDir = repo.root;
    const port = await startGitDaemon(repo.root);
    writeConfig(`git://${box.infra.ip}:${port}/origin.git`);
    const c1 = repo.push({ 'app/compose.yaml': targetStack(1) }, 'one replica');

    const up = await agentStack('apply', '--yes');
    t.is(up.code, 0, up.stdout + up.stderr);
    const agent = await engine(AGENT_HOST).getContainer('stack-reconcile-agent-1').inspect();
    t.true(agent.State.Running);
    t.is(agent.Config.User, 'stack');
    t.true(agent.Mounts.some((m) => m.Type === 'bind' && m.Source === config && m.Destination === '/etc/stack'));

    await eventually(appliedOk(c1), 60_000, `commit ${c1} applied by the agent`, agentLog);
    t.deepEqual(await running(TARGET), [`/${STACK}-app-1`]);

    const c2 = repo.push({ 'app/compose.yaml': targetStack(2) }, 'two replicas');
    await eventually(appliedOk(c2), 60_000, `the pushed commit ${c2} applied within the interval`, agentLog);
    t.deepEqual(await running(TARGET), [`/${STACK}-app-1`, `/${STACK}-app-2`]);

    const at = `http://${AGENT_HOST.ip}:${AGENT_PORT}`;
    const metrics = await (await fetch(`${at}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    t.true(metrics.includes(`stack_reconcile_last_applied_commit_info{stack="app",commit="${c2}"} 1`), metrics);
    t.is((await fetch(`${at}/healthz`, { signal: AbortSignal.timeout(5000) })).status, 200);
  },
);
