#!/usr/bin/env node
/**
 * `npm run bench`: stack beside its peers (the Engine API floor, docker-compose, Docker Swarm), and stack over ssh://
 * beside stack over the unix sockets, in one run,
 * on the same hosts; stack also on the daemons Swarm gets (no cluster store), with its own Consul-backed overlay — the bench sandbox (STACK_SANDBOX=bench, 3 hosts), never the shared test sandbox.
 * Then Swarm and stack's own overlay again on the same hosts restarted on Engine 28 (the engine people run).
 *   npm run bench [-- --reps N] [--services N] [--large N] [--no-swarm] [--only-swarm] [--only-rollout]
 *                 [--no-engine28] [--only-engine28] [--interleave] [--sandbox NAME] [--smoke] [--check] [--out DIR]
 * --sandbox NAME: the sandbox instance to run on (STACK_SANDBOX, default bench; one bench per instance at a time).
 * --only-engine28: only phase C (Swarm and stack's own overlay on Engine 28): no 20.10 phases, no plan bench, and the
 * hosts are left on Engine 28. --interleave: in each no-cluster-store phase, one repetition of stack, then one of
 * Swarm (a swarm made and left for it), and again: the peers see the same moments of a loaded machine.
 * --smoke: tiny workloads (workload 1 with 2 services; no workload 2), one repetition, every peer and phase; checks
 * that every run completed and that no no-op wrote anything (never a timing); writes its results to
 * bench/.work/smoke/, not bench/results/.
 * --check: only check (and install) the prerequisites.
 * Prints one table; writes bench/results/latest.json and latest.md (and a timestamped copy of the JSON).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeWorkload } from './workloads.mjs';
import { engineOf, wipe } from './lib/engine.mjs';
import { inventoryText, peers } from './lib/peers.mjs';
import { markdownTable, stats } from './lib/report.mjs';
import { ensurePrerequisites, prerequisites } from './lib/prereqs.mjs';
import { expectedRuns, smokeProblems } from './lib/smoke.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const T0 = Date.now();
/** Progress on stderr, with the seconds since the start (where a run's time goes). */
const log = (...a) => console.error(`bench: +${Math.round((Date.now() - T0) / 1000)}s`, ...a);
/** Bad usage or a missing prerequisite: one line, exit 1, no stack trace. */
const fail = (line) => {
  console.error(line.startsWith('bench:') ? line : `bench: ${line}`);
  process.exit(1);
};
let args;
try {
  ({ values: args } = parseArgs({
    options: {
      reps: { type: 'string', default: '3' },
      services: { type: 'string', default: '10' },
      large: { type: 'string', default: '50' },
      'no-swarm': { type: 'boolean', default: false },
      'only-swarm': { type: 'boolean', default: false },
      'only-rollout': { type: 'boolean', default: false },
      'no-engine28': { type: 'boolean', default: false },
      'only-engine28': { type: 'boolean', default: false },
      interleave: { type: 'boolean', default: false },
      sandbox: { type: 'string', default: 'bench' },
      smoke: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  }));
} catch (err) {
  fail(`${err.message} (npm run bench -- --help: see the head of bench/run.mjs)`);
}
if (args.smoke) {
  for (const k of ['no-swarm', 'only-swarm', 'only-rollout', 'only-engine28'])
    if (args[k]) fail(`--smoke runs every phase: drop --${k}`);
  Object.assign(args, { reps: '1', services: '2' });
}
for (const k of ['reps', 'services', 'large'])
  if (!/^[1-9][0-9]*$/.test(args[k])) fail(`--${k} must be a positive whole number, got ${args[k]}`);
if (Number(args.services) < 2) fail('--services must be at least 2 (its env change replaces one of them)');
if (!/^[a-z][a-z0-9]{0,11}$/.test(args.sandbox)) fail(`--sandbox must be a sandbox instance name, got ${args.sandbox}`);
if (args['only-engine28'] && (args['no-engine28'] || args['no-swarm']))
  fail('--only-engine28 runs Swarm on Engine 28: drop --no-engine28 and --no-swarm');
/** The bench's scratch folder; another instance's its own, so two benches on two instances never share files. */
const WORK = join(REPO, 'bench', '.work', ...(args.sandbox === 'bench' ? [] : [args.sandbox]));
args.out ??= args.smoke ? join(WORK, 'smoke') : join(REPO, 'bench', 'results');
const ENGINE28 = !args['no-engine28'] && !args['no-swarm'];
const ENGINE_VERSION = '28.5.2';

// Prerequisites first, before any host is touched; then one bench at a time on the bench sandbox (a lock).
const INSTANCE = args.sandbox;
const LOCK = INSTANCE === 'bench' ? '/tmp/stack-bench.lock' : `/tmp/stack-bench-${INSTANCE}.lock`;
if (!process.env.STACK_BENCH_LOCKED) {
  const engineCached = existsSync(
    `${process.env.STACK_CACHE_DIR ?? '/var/cache/stack'}/engine-${ENGINE_VERSION}/dockerd`,
  );
  const lines = ensurePrerequisites(prerequisites({ repo: REPO, engine28: ENGINE28, engineCached }));
  if (lines.length > 0) {
    for (const l of lines) console.error(l);
    process.exit(1);
  }
  if (args.check) {
    log('every prerequisite is there');
    process.exit(0);
  }
  const r = spawnSync('flock', [LOCK, process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, STACK_BENCH_LOCKED: '1' },
  });
  process.exit(r.status ?? 1);
}
const REPS = Number(args.reps);
/** Part of every object name, so no run meets a leftover of an earlier one (see fresh()). */
const RUN_ID = Date.now().toString(36).slice(-4);

// ── peers (bench/lib/peers.mjs) ───────────────────────────────────────────────
const {
  run,
  sandbox,
  stackApply,
  stackDestroy,
  floorApply,
  floorNoop,
  floorReplace,
  composeUp,
  swarmDeploy,
  swarmNoop,
  swarmRemove,
  swarmUp,
  swarmDown,
  removeVxlanLeftovers,
  fresh,
  engineVersion,
} = peers({ repo: REPO, work: WORK, instance: INSTANCE, log });

const OWN = 'stack, own overlay';
const PLAN = '6 plan 1000 containers / 10 hosts, 10% drift';
/**
 * Phase B's stack runs (and C's, on Engine 28): the rollout, then each workload's cold apply, no-op and env change,
 * each destroyed after. `peer` names the row; `engine` is set on the rows of another engine than 20.10.
 */
async function ownOverlayRuns(ctx, { roll, workloads, w1, noopLabel, envLabel, rolloutOnly, peer, engine, reps }) {
  const note = `stack's own overlay (VXLAN, Consul) on the hosts Swarm gets (no cluster store${engine ? `, Engine ${engine}` : ''})`;
  const extra = engine ? { engine } : {};
  const tag = engine ? 'x' : 'v'; // a name per run and phase: never reuse one (see fresh())
  // Its helper image (busybox, for chroot into the host's iproute2) is the inventory's overlay.helper_image.
  for (const rep of reps) {
    await fresh(ctx);
    const name = `bw5${tag}${rep + 1}${RUN_ID}`;
    log(`w5 rep ${rep + 1}/${REPS}: ${peer} (${name})`);
    await stackApply(ctx, roll.paths.stack, name);
    const r = await stackApply(ctx, roll.next.stack, name);
    const row = add(roll.label, peer, [r.seconds], { ...extra, note: `${note}; ${r.created} replaced` });
    row.paths = [...(row.paths ?? []), r.path];
    log(`w5 critical path: ${pathText(r.path)}`);
    await stackDestroy(ctx, roll.next.stack, name);
  }
  for (const wl of rolloutOnly ? [] : workloads) {
    for (const rep of reps) {
      await fresh(ctx);
      const name = `${wl.w.name}${tag}${rep + 1}${RUN_ID}`;
      log(`${wl.key} rep ${rep + 1}/${REPS}: ${peer} (${name})`);
      const cold = await stackApply(ctx, wl.paths.stack, name);
      if (cold.created !== wl.count) throw new Error(`stack created ${cold.created} containers, expected ${wl.count}`);
      add(wl.label, peer, [cold.seconds], { ...extra, note });
      const noop = await stackApply(ctx, wl.paths.stack, name);
      if (noop.calls.writes !== 0)
        throw new Error(`stack's no-op re-apply made ${noop.calls.writes} write calls, expected 0`);
      add(noopLabel(wl), peer, [noop.seconds], {
        ...extra,
        note: `${noop.calls.reads} reads, 0 writes`,
        calls: noop.calls,
      });
      if (wl === w1) {
        const env = await stackApply(ctx, wl.changed.stack, name);
        if (env.created !== 3)
          throw new Error(`stack replaced ${env.created} containers for one service's environment, expected 3`);
        add(envLabel, peer, [env.seconds], { ...extra, note: `${env.created} containers replaced` });
      }
      await stackDestroy(ctx, wl.paths.stack, name);
    }
  }
}

const pathText = (p) =>
  `${(p.beforeMs / 1000).toFixed(2)} s before the first op; ${Object.entries(p.byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(2)} s`)
    .join(', ')} (${p.ops} ops); ${(p.afterMs / 1000).toFixed(2)} s after the last`;

/** Swarm on the bench hosts, one run per repetition and workload; each stack removed after. */
async function swarmRuns(
  ctx,
  { roll, workloads, w1, noopLabel, envLabel, rolloutOnly, newImage, swarm, engine, reps },
) {
  const hosts = ctx.hosts;
  const extra = engine ? { engine } : {};
  const tag = engine ? 'y' : 'w';
  for (const rep of reps) {
    await fresh(ctx, true);
    const name = `bw5${tag}${rep + 1}${RUN_ID}`;
    log(`w5 rep ${rep + 1}/${REPS}: ${swarm} (${name})`);
    await swarmDeploy(ctx, roll.paths.stack, name, roll.w);
    const r = await swarmDeploy(ctx, roll.next.stack, name, roll.w, (t) =>
      t.Spec?.ContainerSpec?.Image?.startsWith(newImage),
    );
    add(roll.label, swarm, [r.seconds], {
      ...extra,
      note: 'same update_config and healthcheck; services update concurrently',
    });
    await swarmRemove(ctx, name);
  }
  for (const wl of rolloutOnly ? [] : workloads) {
    for (const rep of reps) {
      await fresh(ctx, true);
      const name = `${wl.w.name}${tag}${rep + 1}${RUN_ID}`;
      log(`${wl.key} rep ${rep + 1}/${REPS}: ${swarm} (${name})`);
      const cold = await swarmDeploy(ctx, wl.paths.stack, name, wl.w);
      add(wl.label, swarm, [cold.seconds], {
        ...extra,
        note: 'docker stack deploy until every task runs; swarm overlay',
      });
      const noop = await swarmNoop(ctx, wl.paths.stack, name);
      add(noopLabel(wl), swarm, [noop.seconds], { ...extra, note: 'stack deploy again (CLI time)' });
      if (wl === w1) {
        const env = await swarmDeploy(
          ctx,
          wl.changed.stack,
          name,
          wl.w,
          (t, svc) => svc.Spec.Name !== `${name}_s01` || (t.Spec?.ContainerSpec?.Env ?? []).includes('BENCH_REV=2'),
        );
        add(envLabel, swarm, [env.seconds], {
          ...extra,
          note: 'stack deploy; default update_config (parallelism 1, stop-first)',
        });
      }
      await swarmRemove(ctx, name);
      await wipe(hosts);
    }
  }
}

/**
 * One phase on the bench hosts without a cluster store: stack's own overlay first (before the swarm exists), then a
 * 3-node swarm and its runs; the swarm is left and the hosts wiped afterwards, whatever happened.
 */
async function noStorePhase(ctx, phase) {
  const hosts = ctx.hosts;
  const all = Array.from({ length: REPS }, (_, i) => i);
  // --interleave: one repetition of each peer at a time (a swarm made and left for each of Swarm's).
  for (const reps of args.interleave ? all.map((i) => [i]) : [all]) {
    // stack on exactly the daemons Swarm gets (no cluster store), before the swarm exists: the same files, whose
    // overlay network stack then realises itself (x-stack.overlay auto → VXLAN over local bridges, Consul).
    await ownOverlayRuns(ctx, { ...phase, peer: phase.own, reps });
    removeVxlanLeftovers(hosts);
    try {
      swarmUp(hosts);
      await swarmRuns(ctx, { ...phase, reps });
    } finally {
      await swarmDown(hosts);
    }
  }
}

/** Workload 6: planning 1,000 containers over 10 hosts, in its own process with a collectable heap. */
async function planBench() {
  log('6: planning 1,000 containers over 10 hosts, 10% drift, in process');
  // 5 warm-up plans, then each timed plan on a collected heap.
  const pb = JSON.parse(
    (await run(process.execPath, ['--expose-gc', 'bench/plan-bench.mjs', String(args.smoke ? 3 : Math.max(30, REPS))]))
      .stdout,
  );
  add(PLAN, 'stack', pb.samples, {
    unit: 'ms',
    note: `reconcile() only, ${pb.samples.length} plans after ${pb.warmup} warm-up, heap collected before each; ${pb.replaced} replaced, ${pb.operations} operations`,
  });
  return pb;
}

// ── the run ──────────────────────────────────────────────────────────────────
function machine(hosts) {
  const v = engineVersion(hosts[0]);
  return {
    nproc: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    engine: v,
    node: process.version,
    compose: execFileSync('docker-compose', ['version', '--short'], { encoding: 'utf8' }).trim(),
    cpu: cpus()[0]?.model,
    load: loadavg()[0],
  };
}

const rows = [];
const add = (workload, peer, samples, extra = {}) => {
  let row = rows.find((r) => r.workload === workload && r.peer === peer && (r.unit ?? 's') === (extra.unit ?? 's'));
  if (!row) rows.push((row = { workload, peer, samples: [], ...extra }));
  row.samples.push(...samples);
  Object.assign(row, extra);
  return row;
};

/** The bench context over ssh:// (.sandbox-INSTANCE/ssh.json: the hosts' sshd, client key, known_hosts), or undefined. */
function sshContext(ctx, hosts, sb) {
  const file = join(REPO, `.sandbox-${INSTANCE}`, 'ssh.json');
  if (!existsSync(file)) return undefined;
  const ssh = JSON.parse(readFileSync(file, 'utf8'));
  const inventory = join(WORK, 'inventory-ssh.yaml');
  const entry = (h) =>
    `  ${h.name}: { endpoint: "${ssh.hosts[h.name]}", identity: "${ssh.identity}", known_hosts: "${ssh.knownHosts}", labels: ${JSON.stringify({ ...h.labels, 'stack.underlay': h.ip })} }`;
  writeFileSync(
    inventory,
    `hosts:\n${hosts.map(entry).join('\n')}\nconsul: "${sb.consul.http}"\noverlay: { helper_image: "${sb.images.helper}" }\n`,
  );
  return { ...ctx, inventory };
}

async function main() {
  mkdirSync(join(WORK, 'docker-cli'), { recursive: true });
  const only28 = args['only-engine28'];
  log(`${INSTANCE} sandbox up (3 hosts, ${only28 ? 'Engine 28, no cluster store' : 'with the cluster store'})`);
  sandbox('up', '--hosts', '3', ...(only28 ? ['--no-cluster-store', '--engine', '28'] : []));
  const sandboxJson = join(REPO, `.sandbox-${INSTANCE}`, 'sandbox.json');
  const sb = JSON.parse(readFileSync(sandboxJson, 'utf8'));
  const hosts = sb.hosts;
  const inventory = join(WORK, 'inventory.yaml');
  // Every peer talks to the daemons over their unix sockets (no TLS for anyone).
  // stack.underlay: the address stack's own overlay tunnels to (phase B), which a unix socket cannot tell.
  writeFileSync(inventory, inventoryText(hosts, sb));
  const ctx = { hosts, inventory, sandboxJson, consul: sb.consul.http, image: sb.images.busybox };
  // stack again over ssh:// (each bench host's sshd runs `docker system dial-stdio`): the same hosts and files, another
  // transport, for the ratio to stack over the unix sockets. Absent when the bench sandbox describes no SSH side.
  const sshCtx = sshContext(ctx, hosts, sb);
  const info = machine(hosts);
  log('machine', JSON.stringify(info));

  // --smoke: a changed service rolls with monitor 1s (quick), not the default 5 s; its times mean nothing anyway.
  const base = { hosts: hosts.map((h) => h.name), image: sb.images.busybox, replicas: 3, quick: args.smoke };
  const workloads = [
    {
      key: 'w1',
      label: `1 cold apply ${args.services}×3`,
      w: { ...base, name: 'bw1', services: Number(args.services) },
    },
    // --smoke: workload 2 is workload 1's kind, larger; a smoke run leaves it out.
    ...(args.smoke
      ? []
      : [
          {
            key: 'w2',
            label: `2 cold apply ${args.large}×3`,
            w: { ...base, name: 'bw2', services: Number(args.large) },
          },
        ]),
  ];
  for (const wl of workloads) {
    wl.paths = writeWorkload(wl.w, join(WORK, wl.key));
    wl.changed = writeWorkload({ ...wl.w, rev: { s01: '2' } }, join(WORK, `${wl.key}-env`));
    wl.count = wl.w.services * wl.w.replicas;
  }
  const w1 = workloads[0];
  // 5: rolling update of workload 1 (healthcheck; update_config parallelism 1, stop-first, monitor 1s) to a new tag.
  const roll = {
    key: 'w5',
    label: `5 rolling update ${args.services}×3`,
    w: { ...w1.w, name: 'bw5', healthcheck: true },
  };
  roll.paths = writeWorkload(roll.w, join(WORK, 'w5'));
  roll.next = writeWorkload({ ...roll.w, tag: 'latest' }, join(WORK, 'w5-next'));
  const newImage = sb.images.busyboxLatest;
  const rolloutOnly = args['only-rollout'];
  // The new tag must be on every host beforehand, as the old one is, so no peer pulls during the update.
  const [repo, tag] = [newImage.slice(0, newImage.lastIndexOf(':')), newImage.slice(newImage.lastIndexOf(':') + 1)];
  await Promise.all(hosts.map((h) => engineOf(h).getImage(sb.images.busybox).tag({ repo, tag })));
  const noopLabel = (wl) => `3 no-op ${wl.count} containers`;
  const envLabel = `4 env of 1 service (${w1.count})`;

  // Phase A: the hosts with their cluster store — floor, stack and compose.
  await wipe(hosts);
  for (let rep = 0; rep < (args['only-swarm'] || only28 ? 0 : REPS); rep++) {
    await fresh(ctx);
    const name = `bw5s${rep + 1}${RUN_ID}`;
    log(`w5 rep ${rep + 1}/${REPS}: stack (${name})`);
    await stackApply(ctx, roll.paths.stack, name);
    const r = await stackApply(ctx, roll.next.stack, name);
    const row = add(roll.label, 'stack', [r.seconds], {
      note: `services roll concurrently, 1 replica at a time, stop-first, healthy before the next; ${r.created} replaced`,
    });
    row.paths = [...(row.paths ?? []), r.path];
    log(`w5 critical path: ${pathText(r.path)}`);
  }
  for (const wl of args['only-swarm'] || rolloutOnly || only28 ? [] : workloads) {
    for (let rep = 0; rep < REPS; rep++) {
      const peers = ['floor', 'stack', 'compose', ...(sshCtx ? ['stack-ssh'] : [])];
      const order = peers.slice(rep % peers.length).concat(peers.slice(0, rep % peers.length)); // rotate who goes first
      for (const peer of order) {
        await fresh(ctx);
        // A name per run: dockerd 20.10 can leak an overlay's endpoint count in the cluster store when
        // containers on several hosts go at once, leaving a network that cannot be removed; never reuse one.
        const name = `${wl.w.name}${peer === 'stack-ssh' ? 'h' : peer[0]}${rep + 1}${RUN_ID}`;
        const paths = peer === 'floor' ? writeWorkload({ ...wl.w, name }, join(WORK, `${wl.key}-${name}`)) : wl.paths;
        log(`${wl.key} rep ${rep + 1}/${REPS}: ${peer} (${name})`);
        if (peer === 'floor') {
          add(wl.label, 'floor', [(await floorApply(ctx, paths)).seconds], {
            note: 'create+start via dockerode; engine overlay (cluster store); volumes created implicitly',
          });
          add(noopLabel(wl), 'floor', [(await floorNoop(ctx)).seconds], {
            note: 'one container list per host, in a fresh node process',
          });
          if (wl === w1)
            add(envLabel, 'floor', [(await floorReplace(ctx, paths, 's01')).seconds], {
              note: 'remove+create+start the 3 replicas',
            });
        } else if (peer === 'stack-ssh') {
          const cold = await stackApply(sshCtx, paths.stack, name);
          if (cold.created !== wl.count)
            throw new Error(`stack over ssh:// created ${cold.created} containers, expected ${wl.count}`);
          add(wl.label, 'stack over ssh', [cold.seconds], {
            note: 'as stack, over ssh:// (one SSH connection per host, a dial-stdio channel per HTTP connection)',
          });
          const noop = await stackApply(sshCtx, paths.stack, name);
          if (noop.calls.writes !== 0)
            throw new Error(`stack's no-op re-apply over ssh:// made ${noop.calls.writes} write calls, expected 0`);
          add(noopLabel(wl), 'stack over ssh', [noop.seconds], {
            note: `as stack, over ssh://; ${noop.calls.reads} reads, ${noop.calls.writes} writes`,
            calls: noop.calls,
          });
        } else if (peer === 'stack') {
          const cold = await stackApply(ctx, paths.stack, name);
          if (cold.created !== wl.count)
            throw new Error(`stack created ${cold.created} containers, expected ${wl.count}`);
          add(wl.label, 'stack', [cold.seconds], {
            note: 'engine overlay (cluster store), volume per service and host',
          });
          add(`RSS stack apply ${wl.count}`, 'stack', [cold.rssMB], {
            unit: 'MB',
            note: 'peak RSS of the cold apply (/usr/bin/time -v)',
          });
          const noop = await stackApply(ctx, paths.stack, name);
          if (noop.calls.writes !== 0)
            throw new Error(`stack's no-op re-apply made ${noop.calls.writes} write calls, expected 0`);
          add(noopLabel(wl), 'stack', [noop.seconds], {
            note: `process start included; ${noop.calls.reads} reads, ${noop.calls.writes} writes`,
            calls: noop.calls,
          });
          if (wl === w1) {
            const env = await stackApply(ctx, wl.changed.stack, name);
            if (env.created !== 3)
              throw new Error(`stack replaced ${env.created} containers for one service's environment, expected 3`);
            add(envLabel, 'stack', [env.seconds], {
              note: `${env.created} containers replaced; ${env.calls.writes} writes`,
              replaced: env.created,
            });
          }
        } else {
          add(wl.label, 'compose', [(await composeUp(ctx, paths, name)).seconds], {
            note: 'one docker-compose per host in parallel, bridge network: compose cannot span hosts',
          });
          add(noopLabel(wl), 'compose', [(await composeUp(ctx, paths, name)).seconds], {
            note: 'up -d again, per host in parallel',
          });
          if (wl === w1)
            add(envLabel, 'compose', [(await composeUp(ctx, wl.changed, name)).seconds], {
              note: 'recreates s01 on each host',
            });
        }
      }
    }
  }
  await wipe(hosts);

  const pb = only28 ? undefined : await planBench();

  // Phase B: Swarm. Its daemons must run without the cluster store; restarted within this run, then back.
  // Phase C: the same on Engine 28 (the same bench hosts restarted on it): Swarm and stack's own overlay, like for like.
  const phase = { roll, workloads, w1, noopLabel, envLabel, rolloutOnly, newImage };
  if (only28) {
    await noStorePhase(ctx, { ...phase, own: `${OWN} (Engine 28)`, swarm: 'swarm (Engine 28)', engine: '28' });
  } else if (!args['no-swarm']) {
    try {
      log('swarm: restarting the bench hosts without the cluster store');
      sandbox('up', '--hosts', '3', '--no-cluster-store');
      await noStorePhase(ctx, { ...phase, own: OWN, swarm: 'swarm' });
      if (ENGINE28) {
        log(`Engine 28: restarting the bench hosts on Engine ${ENGINE_VERSION} (no cluster store)`);
        sandbox('up', '--hosts', '3', '--no-cluster-store', '--engine', '28');
        info.engine28 = engineVersion(hosts[0]);
        log(`Engine 28: ${info.engine28}`);
        await noStorePhase(ctx, { ...phase, own: `${OWN} (Engine 28)`, swarm: 'swarm (Engine 28)', engine: '28' });
      }
    } finally {
      log('restoring the bench hosts: Engine 20.10 with the cluster store');
      sandbox('up', '--hosts', '3');
    }
  }

  // Each stack rollout row's critical path, of its repetitions' median run (in the JSON for every run).
  for (const rollRow of rows.filter((r) => r.workload === roll.label && r.paths?.length)) {
    const i = rollRow.samples.indexOf(
      [...rollRow.samples].sort((a, b) => a - b)[Math.floor((rollRow.samples.length - 1) / 2)],
    );
    rollRow.note += `; critical path of the median run: ${pathText(rollRow.paths[i])}`;
  }
  const table = markdownTable(rows);
  const when = new Date().toISOString();
  const result = { when, reps: REPS, machine: info, rows: rows.map((r) => ({ ...r, ...stats(r.samples) })), plan: pb };
  mkdirSync(args.out, { recursive: true });
  const suffix = rolloutOnly ? '-rollout' : '';
  writeFileSync(join(args.out, `latest${suffix}.json`), JSON.stringify(result, null, 1));
  if (!args.smoke)
    writeFileSync(join(args.out, `${when.replace(/[:.]/g, '-')}${suffix}.json`), JSON.stringify(result, null, 1));
  info.load = { start: info.load, end: loadavg()[0] };
  const engines = `Engine ${info.engine}${info.engine28 ? ` and ${info.engine28} (the rows marked Engine 28)` : ''}`;
  const md = `Run ${when}, ${REPS} repetitions${args.smoke ? ' (--smoke: tiny workloads; its times mean nothing)' : ''}; ${info.nproc} CPUs (${info.cpu}), load average ${info.load.start.toFixed(1)} at the start and ${info.load.end.toFixed(1)} at the end, ${info.memoryGiB} GiB, kernel ${info.kernel}, ${engines}, Node ${info.node}, docker-compose ${info.compose}.\n\n${table}\n`;
  writeFileSync(join(args.out, `latest${suffix}.md`), md);
  console.log(md);
  if (args.smoke) {
    const problems = smokeProblems(
      result.rows,
      expectedRuns({ workloads, w1, roll, noopLabel, envLabel, ssh: !!sshCtx, engine28: ENGINE28, planLabel: PLAN }),
    );
    if (problems.length > 0) throw new Error(`smoke: ${problems.join('; ')}`);
    log(`smoke passed: ${result.rows.length} rows, every run completed, no no-op wrote anything (${args.out})`);
  }
}

try {
  await main();
} catch (err) {
  // A run that failed: what failed, in its own words (the peer's output), never a Node stack trace.
  fail(`failed: ${err instanceof Error ? err.message : String(err)}`);
}
