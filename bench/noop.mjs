#!/usr/bin/env node
/**
 * The no-op beside Swarm's: `stack apply` of a stack that is already applied, against `docker stack deploy` of the
 * same file again (the bench's "3 no-op" row), on the same 3 daemons, N times each; prints the medians and the ratio.
 *   STACK_SANDBOX=noop bash deploy/sandbox/sandbox.sh up --hosts 3 --no-cluster-store   (once; Swarm needs hosts
 *   without a cluster store, and never a shared instance)
 *   node bench/noop.mjs [--sandbox noop] [--reps 9] [--services 10[,50]] [--hosts 3] [--no-swarm]
 * stack runs as a user runs it (bin/stack.js, process start included) over the hosts' unix sockets, as in the bench,
 * twice per repetition: in a process of its own, and as a client of `stack daemon` (peer "stack, daemon": the daemon
 * started for the run, warmed by one no-op, every sample checked to have run in it). Swarm's time is the docker CLI's. Wall time and CPU time (user + system of the process) are both shown: on a busy
 * machine CPU time is the steadier of the two. Each stack no-op must make no write call (checked, not timed).
 * Needs root, the built CLI (npm run build) and Debian's docker CLI (/usr/bin/docker, which has `stack deploy`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeWorkload } from './workloads.mjs';
import { engineOf, swarmConverged, until, wipe } from './lib/engine.mjs';
import { stats } from './lib/report.mjs';
import { timed } from './lib/timed.mjs';
import { lastServed, NO_DAEMON, startDaemon } from './lib/daemon.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(REPO, 'bench', '.work', 'noop');
const DOCKER = '/usr/bin/docker';
const SHARED = new Set(['default', 'vx', 'ovl', 'c3', 'bench']);
const log = (...a) => console.error('noop:', ...a);

const { values: args } = parseArgs({
  options: {
    sandbox: { type: 'string', default: 'noop' },
    reps: { type: 'string', default: '9' },
    services: { type: 'string', default: '10' },
    hosts: { type: 'string', default: '3' },
    'no-swarm': { type: 'boolean', default: false },
  },
});
const fail = (line) => {
  console.error(`noop: ${line}`);
  process.exit(1);
};
const REPS = Number(args.reps);
const SIZES = args.services.split(',').map(Number);
if (!(REPS >= 1) || SIZES.some((n) => !(n >= 1))) fail('--reps and --services take positive whole numbers');
if (SHARED.has(args.sandbox)) fail(`--sandbox ${args.sandbox} is shared: start your own (see the head of this file)`);
const sandboxJson = join(REPO, `.sandbox-${args.sandbox}`, 'sandbox.json');
if (!existsSync(sandboxJson))
  fail(`no ${sandboxJson}: STACK_SANDBOX=${args.sandbox} sandbox.sh up --hosts 3 --no-cluster-store`);
const sb = JSON.parse(readFileSync(sandboxJson, 'utf8'));
if (!args['no-swarm'] && sb.clusterStore) fail('Swarm refuses daemons with a cluster store: up --no-cluster-store');

const HOSTS = Number(args.hosts);
if (!(HOSTS >= 1) || HOSTS > sb.hosts.length) fail(`--hosts takes 1-${sb.hosts.length} (the sandbox's hosts)`);
const hosts = sb.hosts.slice(0, HOSTS);
mkdirSync(join(WORK, 'docker-cli'), { recursive: true });
const inventory = join(WORK, 'inventory.yaml');
writeFileSync(
  inventory,
  `hosts:\n${hosts.map((h) => `  ${h.name}: { endpoint: "${h.socket}", labels: ${JSON.stringify({ ...h.labels, 'stack.underlay': h.ip })} }`).join('\n')}\nconsul: "${sb.consul.http}"\noverlay: { helper_image: "${sb.images.helper}" }\n`,
);
const dockerCli = (host, ...a) =>
  execFileSync(DOCKER, ['-H', host.socket, ...a], {
    env: { ...process.env, DOCKER_CONFIG: join(WORK, 'docker-cli') },
    encoding: 'utf8',
  }).trim();

/** stack as a user runs it; the JSON summary's call counts prove the no-op wrote nothing. */
async function stackApply(file, name, env = NO_DAEMON) {
  const r = await timed(
    process.execPath,
    ['bin/stack.js', 'apply', '--yes', '--json', '-i', inventory, '-f', file, '-p', name],
    { cwd: REPO, env },
  );
  const summary = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .findLast((e) => e.type === 'summary');
  const writes = Object.values(summary.calls).reduce((a, c) => a + c.writes, 0);
  return { ...r, writes };
}
const swarmDeploy = (file, name) =>
  timed(DOCKER, ['-H', hosts[0].socket, 'stack', 'deploy', '-c', file, name], {
    cwd: REPO,
    env: { DOCKER_CONFIG: join(WORK, 'docker-cli') },
  });

async function stackRuns(w, paths) {
  await wipe(hosts);
  log(`stack: cold apply of ${w.services}×${w.replicas}`);
  await stackApply(paths.stack, w.name);
  const daemon = await startDaemon(REPO, join(WORK, 'daemon'));
  const samples = { alone: [], daemon: [] };
  try {
    await stackApply(paths.stack, w.name, daemon.env); // the daemon's first run compiles what the others reuse
    for (let i = 0; i < REPS; i++) {
      const alone = await stackApply(paths.stack, w.name);
      const cpu0 = daemon.cpuSeconds();
      const served = await stackApply(paths.stack, w.name, daemon.env);
      served.cpuSeconds += daemon.cpuSeconds() - cpu0; // the client's and the daemon's
      if (lastServed(daemon.log()) !== 'exit 0')
        throw new Error(`the daemon did not run the no-op: ${lastServed(daemon.log())}`);
      for (const r of [alone, served])
        if (r.writes !== 0) throw new Error(`stack's no-op made ${r.writes} write calls, expected 0`);
      samples.alone.push(alone);
      samples.daemon.push(served);
    }
  } finally {
    await daemon.stop();
  }
  await timed(
    process.execPath,
    ['bin/stack.js', 'destroy', '--yes', '--prune-volumes', '-i', inventory, '-f', paths.stack, '-p', w.name],
    { cwd: REPO, env: NO_DAEMON },
  );
  return samples;
}

async function swarmRuns(w, paths) {
  log(`swarm: cold deploy of ${w.services}×${w.replicas}`);
  await swarmDeploy(paths.stack, w.name);
  await until(`swarm stack ${w.name}`, () => swarmConverged(engineOf(hosts[0]), w.name, w.services, w.replicas));
  const samples = [];
  for (let i = 0; i < REPS; i++) samples.push(await swarmDeploy(paths.stack, w.name));
  dockerCli(hosts[0], 'stack', 'rm', w.name);
  return samples;
}

/** Every host out of any swarm (a leave that timed out in an earlier run can leave one in it). */
function leaveSwarms() {
  for (const h of [...hosts].reverse()) {
    try {
      dockerCli(h, 'swarm', 'leave', '--force');
    } catch {
      /* not in a swarm */
    }
  }
}

/** A swarm of the run's hosts for `fn`, left and the hosts wiped afterwards, whatever happened. */
async function inSwarm(fn) {
  leaveSwarms();
  try {
    dockerCli(hosts[0], 'swarm', 'init', '--advertise-addr', hosts[0].ip, '--default-addr-pool', '10.200.0.0/16');
    const token = dockerCli(hosts[0], 'swarm', 'join-token', '-q', 'worker');
    for (const h of hosts.slice(1))
      dockerCli(h, 'swarm', 'join', '--advertise-addr', h.ip, '--token', token, `${hosts[0].ip}:2377`);
    return await fn();
  } finally {
    leaveSwarms();
    await wipe(hosts);
  }
}

const row = (size, peer, samples) => {
  const wall = stats(samples.map((s) => s.seconds));
  const cpu = stats(samples.map((s) => s.cpuSeconds));
  return { size, peer, wall, cpu };
};
const s = (x) => `${x.toFixed(3)} s`;

async function main() {
  const runs = SIZES.map((services) => {
    const w = {
      name: `nop${services}`,
      services,
      replicas: HOSTS,
      hosts: hosts.map((h) => h.name),
      image: sb.images.busybox,
    };
    return { w, paths: writeWorkload(w, join(WORK, `w${services}`)) };
  });
  const rows = [];
  for (const { w, paths } of runs) {
    const samples = await stackRuns(w, paths);
    rows.push(
      row(w.services * HOSTS, 'stack', samples.alone),
      row(w.services * HOSTS, 'stack, daemon', samples.daemon),
    );
  }
  if (!args['no-swarm'])
    await inSwarm(async () => {
      for (const { w, paths } of runs) rows.push(row(w.services * HOSTS, 'swarm', await swarmRuns(w, paths)));
    });
  console.log(`no-op, ${REPS} repetitions each, ${HOSTS} hosts (${args.sandbox}), Node ${process.version}\n`);
  console.log('| containers | peer | wall median (min–max) | CPU median (min–max) | stack ÷ swarm (wall median) |');
  console.log('| ---: | --- | ---: | ---: | ---: |');
  for (const r of rows) {
    const swarm = rows.find((x) => x.size === r.size && x.peer === 'swarm');
    const ratio = r.peer !== 'swarm' && swarm ? `${(r.wall.median / swarm.wall.median).toFixed(2)}×` : '–';
    console.log(
      `| ${r.size} | ${r.peer} | ${s(r.wall.median)} (${s(r.wall.min)}–${s(r.wall.max)}) | ${s(r.cpu.median)} (${s(r.cpu.min)}–${s(r.cpu.max)}) | ${ratio} |`,
    );
  }
}

try {
  await main();
} catch (err) {
  fail(`failed: ${err instanceof Error ? err.message : String(err)}`);
}
