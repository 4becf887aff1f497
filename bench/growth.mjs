#!/usr/bin/env node
/**
 * `npm run bench:growth`: how stack's cost grows with hosts (issue 20), side by side in one run on one sandbox
 * instance of its own (STACK_SANDBOX=grow, 16 hosts; the runs use hosts 1..3, 1..8 and 1..16 of it):
 *   A. the hosts with their cluster store (Engine 20.10): the floor (bench/floor.mjs; its no-op one container list per
 *      host) and stack on the engine overlay — cold apply and no-op of ~10 containers per host, the no-op's Engine
 *      calls per host (stack's own summary), stack's peak RSS (/usr/bin/time -v);
 *   B. planning 10,000 containers over 100 hosts (bench/plan-bench.mjs, pure, its own process: time and heap);
 *   C. the same hosts restarted without a cluster store, like for like, each tool its own overlay: per host count a
 *      swarm of exactly those hosts; each repetition the cold apply of stack with its own overlay and of Swarm on
 *      wiped hosts (who goes first rotates), then, both deployed, --noops rounds of no-ops in turn: stack in a process
 *      of its own, stack as a client of `stack daemon` (peer "stack, own overlay, daemon"; one daemon for the run,
 *      warmed by one no-op per repetition, each measured one checked to have run in it) and Swarm's CLI.
 *   The no-ops of A are also --noops per repetition (floor and stack).
 * Then the instance goes down (2 GiB of daemons), unless --keep.
 *   npm run bench:growth [-- --reps N] [--noops N] [--hosts 3,8,16] [--per-host N] [--no-swarm] [--keep] [--out DIR]
 * Writes growth-latest.json, growth-latest.md, a timestamped JSON and growth.svg (bench/growth-plot.mjs) under
 * bench/results/ (or --out). The workload at H hosts: N services (default 10) of H replicas, one per host, an overlay
 * network and a named volume per service (bench/workloads.mjs): N containers per host.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeWorkload } from './workloads.mjs';
import { inventoryText, peers } from './lib/peers.mjs';
import { ensurePrerequisites, prerequisites } from './lib/prereqs.mjs';
import { growthLabel, growthTable, perHostCalls } from './lib/growth-report.mjs';
import { markdownTable, stats } from './lib/report.mjs';
import { lastServed, startDaemon } from './lib/daemon.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(REPO, 'bench', '.work', 'growth');
const INSTANCE = 'grow';
const T0 = Date.now();
const log = (...a) => console.error(`growth: +${Math.round((Date.now() - T0) / 1000)}s`, ...a);
const fail = (line) => {
  console.error(`growth: ${line}`);
  process.exit(1);
};

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      reps: { type: 'string', default: '1' },
      hosts: { type: 'string', default: '3,8,16' },
      'per-host': { type: 'string', default: '10' },
      noops: { type: 'string', default: '3' },
      'no-swarm': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      out: { type: 'string', default: join(REPO, 'bench', 'results') },
    },
  }));
} catch (err) {
  fail(`${err.message} (see the head of bench/growth.mjs)`);
}
for (const k of ['reps', 'per-host', 'noops'])
  if (!/^[1-9][0-9]*$/.test(args[k])) fail(`--${k} must be a positive whole number, got ${args[k]}`);
const COUNTS = args.hosts.split(',').map(Number);
if (COUNTS.some((n) => !Number.isInteger(n) || n < 2 || n > 16))
  fail(`--hosts must be host counts from 2 to 16, comma-separated (e.g. 3,8,16), got ${args.hosts}`);
const MAX = Math.max(...COUNTS);
const REPS = Number(args.reps);
const PER_HOST = Number(args['per-host']);
const NOOPS = Number(args.noops);

// Prerequisites first, then one growth run at a time (its own lock: it never touches the `bench` instance).
if (!process.env.STACK_GROWTH_LOCKED) {
  const lines = ensurePrerequisites(prerequisites({ repo: REPO, engine28: false, engineCached: true }));
  if (lines.length > 0) {
    for (const l of lines) console.error(l); // each `bench: missing …: fix`
    process.exit(1);
  }
  const r = spawnSync('flock', ['/tmp/stack-growth.lock', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, STACK_GROWTH_LOCKED: '1' },
  });
  process.exit(r.status ?? 1);
}

const P = peers({ repo: REPO, work: WORK, instance: INSTANCE, log });
const RUN_ID = Date.now().toString(36).slice(-4);
const rows = [];
const add = (workload, peer, samples, extra = {}) => {
  let row = rows.find((r) => r.workload === workload && r.peer === peer);
  if (!row) rows.push((row = { workload, peer, samples: [], ...extra }));
  row.samples.push(...samples);
  Object.assign(row, extra);
  return row;
};

/** The run at `n` hosts: the first n hosts, their inventory, and the workload (PER_HOST services of n replicas). */
function sizeOf(sb, n, image) {
  const hosts = sb.hosts.slice(0, n);
  const inventory = join(WORK, `inventory-${n}.yaml`);
  writeFileSync(inventory, inventoryText(hosts, sb));
  const ctx = { hosts, inventory, sandboxJson: join(REPO, `.sandbox-${INSTANCE}`, 'sandbox.json') };
  const w = { name: `g${n}`, services: PER_HOST, replicas: n, hosts: hosts.map((h) => h.name), image };
  return { n, ctx, w, count: PER_HOST * n };
}
/** A sample of one metric (cold, noop, calls, rss) at one size, in the row of its (label, peer). */
const addAt = (size, metric, peer, samples, extra = {}) =>
  add(growthLabel(metric, size.n, size.count), peer, samples, { hosts: size.n, metric, ...extra });

/** stack's cold apply at one size; checks that it created every container. */
async function stackCold(size, name, peer, paths) {
  const cold = await P.stackApply(size.ctx, paths.stack, name);
  if (cold.created !== size.count)
    throw new Error(`${peer} created ${cold.created} containers, expected ${size.count}`);
  addAt(size, 'cold', peer, [cold.seconds]);
  return cold;
}

/**
 * One no-op of stack at one size, in a process of its own or (`daemon`) as a client of the warm `stack daemon`
 * (checked to have run in it); it must write nothing. Each one in a process of its own also gives a sample of its
 * Engine reads per host; the daemon's, fewer (the lists it keeps from the hosts' event streams), are in its row's note.
 */
async function stackNoop(size, name, peer, paths, daemon) {
  const noop = await P.stackApply(size.ctx, paths.stack, name, daemon?.env);
  if (daemon) {
    const served = lastServed(daemon.log());
    if (served !== 'exit 0') throw new Error(`the daemon did not run the no-op: ${served}`);
  }
  if (noop.calls.writes !== 0) throw new Error(`${peer}'s no-op made ${noop.calls.writes} write calls, expected 0`);
  const per = perHostCalls(noop.perHost);
  const note = `${per.text}, 0 writes${daemon ? '; client of a warm stack daemon' : ''}`;
  addAt(size, 'noop', peer, [noop.seconds], { note });
  if (!daemon) addAt(size, 'calls', peer, [per.maxReads], { unit: 'calls', note: per.text, perHost: noop.perHost });
}

/** Phase A at one size: the floor and stack on the engine overlay, in turn (who goes first rotates per repetition). */
async function engineOverlayRuns(size, rep) {
  const order = rep % 2 ? ['stack', 'floor'] : ['floor', 'stack'];
  for (const peer of order) {
    await P.fresh(size.ctx);
    const name = `g${size.n}${peer[0]}${rep + 1}${RUN_ID}`;
    const paths = writeWorkload({ ...size.w, name }, join(WORK, name));
    log(`${size.n} hosts rep ${rep + 1}/${REPS}: ${peer} (${name})`);
    if (peer === 'floor') {
      addAt(size, 'cold', 'floor', [(await P.floorApply(size.ctx, paths)).seconds], {
        note: 'create+start via dockerode; engine overlay (cluster store)',
      });
      for (let k = 0; k < NOOPS; k++)
        addAt(size, 'noop', 'floor', [(await P.floorNoop(size.ctx)).seconds], { note: 'one container list per host' });
    } else {
      const cold = await stackCold(size, name, 'stack', paths);
      addAt(size, 'rss', 'stack', [cold.rssMB], { unit: 'MB', note: 'peak RSS of the cold apply (/usr/bin/time -v)' });
      for (let k = 0; k < NOOPS; k++) await stackNoop(size, name, 'stack', paths);
    }
  }
}

let daemon;
const OWN = 'stack, own overlay';
const OWN_DAEMON = 'stack, own overlay, daemon';

/**
 * Phase C at one size, like for like: a swarm of exactly these hosts for the whole size, and in each repetition
 * both cold applies on wiped hosts (stack with its own overlay and `docker stack deploy`, who goes first rotating),
 * then with both deployed the no-ops in turn — stack in a process of its own, stack through the daemon, Swarm's CLI —
 * NOOPS rounds, the order rotating each round, so that every peer's no-op meets the same machine. The two overlays'
 * VXLAN devices live side by side on UDP 4789 of each host. Then both are removed.
 */
async function likeForLike(size) {
  P.removeVxlanLeftovers(size.ctx.hosts);
  try {
    P.swarmUp(size.ctx.hosts);
    for (let rep = 0; rep < REPS; rep++) await likeForLikeRep(size, rep);
  } finally {
    await P.swarmDown(size.ctx.hosts);
  }
}

async function likeForLikeRep(size, rep) {
  await P.fresh(size.ctx, true);
  const own = `g${size.n}o${rep + 1}${RUN_ID}`;
  const swarm = `g${size.n}w${rep + 1}${RUN_ID}`;
  const paths = {
    own: writeWorkload({ ...size.w, name: own }, join(WORK, own)),
    swarm: writeWorkload({ ...size.w, name: swarm }, join(WORK, swarm)),
  };
  const cold = {
    [OWN]: () => stackCold(size, own, OWN, paths.own),
    swarm: async () =>
      addAt(size, 'cold', 'swarm', [(await P.swarmDeploy(size.ctx, paths.swarm.stack, swarm, size.w)).seconds], {
        note: 'docker stack deploy until every task runs; swarm overlay',
      }),
  };
  for (const peer of rep % 2 ? ['swarm', OWN] : [OWN, 'swarm']) {
    log(`${size.n} hosts rep ${rep + 1}/${REPS}: ${peer}, cold`);
    await cold[peer]();
  }
  daemon ??= await startDaemon(REPO, join(WORK, 'daemon'));
  await P.stackApply(size.ctx, paths.own.stack, own, daemon.env); // warms the daemon at this size (not measured)
  const noop = {
    [OWN]: () => stackNoop(size, own, OWN, paths.own),
    [OWN_DAEMON]: () => stackNoop(size, own, OWN_DAEMON, paths.own, daemon),
    swarm: async () =>
      addAt(size, 'noop', 'swarm', [(await P.swarmNoop(size.ctx, paths.swarm.stack, swarm)).seconds], {
        note: 'stack deploy again (CLI time)',
      }),
  };
  const peers = [OWN, OWN_DAEMON, 'swarm'];
  log(`${size.n} hosts rep ${rep + 1}/${REPS}: ${NOOPS} rounds of no-ops`);
  for (let k = 0; k < NOOPS; k++)
    for (let i = 0; i < peers.length; i++) await noop[peers[(i + k + rep) % peers.length]]();
  await P.stackDestroy(size.ctx, paths.own.stack, own);
  await P.swarmRemove(size.ctx, swarm);
}

/** Planning 10,000 containers over 100 hosts with 10% drift, in its own process: each plan's time, heap and RSS. */
async function planRun() {
  log('planning 10,000 containers over 100 hosts, 10% drift, in its own process');
  const r = await P.run('/usr/bin/time', [
    '-v',
    process.execPath,
    '--expose-gc',
    'bench/plan-bench.mjs',
    '5',
    '10000',
    '100',
  ]);
  const pb = JSON.parse(r.stdout);
  const rssMB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
  add('plan 10000 containers / 100 hosts, 10% drift', 'stack', pb.samples, {
    unit: 'ms',
    metric: 'plan',
    note: `reconcile() only, ${pb.samples.length} plans after ${pb.warmup} warm-up, CPU time ${(stats(pb.cpuSamples).median * 1000).toFixed(0)} ms (median); ${pb.operations} operations; heap after a plan ≤ ${pb.heapMiB} MiB; the process's peak RSS ${rssMB.toFixed(0)} MB (loading and the synthetic observed state included)`,
  });
  return { ...pb, rssMB };
}

function machine(sb) {
  return {
    nproc: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    engine: P.engineVersion(sb.hosts[0]),
    node: process.version,
    cpu: cpus()[0]?.model,
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}

async function main() {
  mkdirSync(join(WORK, 'docker-cli'), { recursive: true });
  log(`growth sandbox up (${MAX} hosts, with the cluster store)`);
  P.sandbox('up', '--hosts', String(MAX));
  const sb = JSON.parse(readFileSync(join(REPO, `.sandbox-${INSTANCE}`, 'sandbox.json'), 'utf8'));
  const info = machine(sb);
  log('machine', JSON.stringify(info));
  const sizes = COUNTS.map((n) => sizeOf(sb, n, sb.images.busybox));
  for (const size of sizes) for (let rep = 0; rep < REPS; rep++) await engineOverlayRuns(size, rep);
  const plan = await planRun();
  if (!args['no-swarm']) {
    log(`restarting the ${MAX} hosts without the cluster store (stack's own overlay and Swarm)`);
    P.sandbox('up', '--hosts', String(MAX), '--no-cluster-store');
    for (const size of sizes) await likeForLike(size);
  }
  const when = new Date().toISOString();
  const result = {
    when,
    reps: REPS,
    perHost: PER_HOST,
    hostCounts: COUNTS,
    machine: { ...info, loadAfter: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') },
    rows: rows.map((r) => ({ ...r, ...stats(r.samples) })),
    plan,
  };
  writeResults(result);
}

function writeResults(result) {
  mkdirSync(args.out, { recursive: true });
  writeFileSync(join(args.out, 'growth-latest.json'), JSON.stringify(result, null, 1));
  writeFileSync(join(args.out, `growth-${result.when.replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 1));
  const m = result.machine;
  const md = `Run ${result.when}, ${result.reps} repetition(s), ${result.perHost} containers per host; ${m.nproc} CPUs (${m.cpu}), ${m.memoryGiB} GiB, kernel ${m.kernel}, Engine ${m.engine}, Node ${m.node}; load ${m.load} before, ${m.loadAfter} after.\n\n${growthTable(result.rows)}\n\nEvery row, with the ratios within each workload:\n\n${markdownTable(result.rows)}\n`;
  writeFileSync(join(args.out, 'growth-latest.md'), md);
  console.log(md);
  const plot = spawnSync(
    process.execPath,
    [join(REPO, 'bench', 'growth-plot.mjs'), join(args.out, 'growth-latest.json'), join(args.out, 'growth.svg')],
    {
      stdio: 'inherit',
    },
  );
  if (plot.status !== 0) log('the plot was not drawn (its message above); the JSON and the table are written');
}

let failed;
try {
  await main();
} catch (err) {
  failed = `failed: ${err instanceof Error ? err.message : String(err)}`;
} finally {
  await daemon?.stop();
}
if (!args.keep) {
  log(`taking the ${INSTANCE} instance down (--keep leaves it up)`);
  try {
    P.sandbox('down');
  } catch (err) {
    log(err.message);
  }
}
if (failed) fail(failed);
