#!/usr/bin/env node
/**
 * The shape of a cold apply beside the floor's (issue 20): the growth bench's workload (N services of H replicas,
 * one per host, an engine overlay network, a named volume per service) applied by the floor (bench/floor.mjs) and by
 * stack, interleaved, each on wiped hosts, with every HTTP call of the peer's process recorded
 * (bench/lib/call-recorder.mjs) and read by bench/lib/shape.mjs: the time before the first Engine write, the writes'
 * span, the time after the last; per host the writes in flight and the time with none; per container create → start.
 * Runs on a sandbox instance that is up (default `cold`: STACK_SANDBOX=cold sandbox.sh up --hosts 8); brings nothing
 * up or down.
 *   node bench/cold-shape.mjs [--instance NAME] [--hosts 3,8] [--reps N] [--per-host N]
 *                             [--peer NAME=DIR …] [--out FILE.json]
 *   node bench/cold-shape.mjs --report FILE.json     (the table of a finished run, again)
 * --peer NAME=DIR: one more stack to run beside the worktree's (DIR holds its bin/ and dist/), e.g. a build from
 * before a change; every peer runs once per repetition, the order rotating.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeWorkload } from './workloads.mjs';
import { inventoryText, peers } from './lib/peers.mjs';
import { shapeOf } from './lib/shape.mjs';
import { coldReport } from './lib/cold-report.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const T0 = Date.now();
const log = (...a) => console.error(`cold-shape: +${Math.round((Date.now() - T0) / 1000)}s`, ...a);
const RECORDER = join(REPO, 'bench', 'lib', 'call-recorder.mjs');

const { values: args } = parseArgs({
  options: {
    instance: { type: 'string', default: 'cold' },
    hosts: { type: 'string', default: '3' },
    reps: { type: 'string', default: '3' },
    'per-host': { type: 'string', default: '10' },
    peer: { type: 'string', multiple: true, default: [] },
    out: { type: 'string' },
    report: { type: 'string' },
  },
});
if (args.report) {
  console.log(coldReport(JSON.parse(readFileSync(args.report, 'utf8'))));
  process.exit(0);
}
const WORK = join(REPO, 'bench', '.work', `cold-shape-${args.instance}`);
mkdirSync(join(WORK, 'docker-cli'), { recursive: true });
const P = peers({ repo: REPO, work: WORK, instance: args.instance, log });
const sb = JSON.parse(readFileSync(join(REPO, `.sandbox-${args.instance}`, 'sandbox.json'), 'utf8'));
const RUN_ID = Date.now().toString(36).slice(-4);
const stacks = [
  ['stack', REPO],
  ...args.peer.map((p) => {
    const i = p.indexOf('=');
    return [p.slice(0, i), p.slice(i + 1)];
  }),
];
const PEERS = ['floor', ...stacks.map(([n]) => n)];

function sizeOf(n) {
  const hosts = sb.hosts.slice(0, n);
  const inventory = join(WORK, `inventory-${n}.yaml`);
  writeFileSync(inventory, inventoryText(hosts, sb));
  const ctx = { hosts, inventory, sandboxJson: join(REPO, `.sandbox-${args.instance}`, 'sandbox.json') };
  const w = {
    services: Number(args['per-host']),
    replicas: n,
    hosts: hosts.map((h) => h.name),
    image: sb.images.busybox,
  };
  return { n, ctx, w };
}

/** One peer's cold apply with its calls recorded; the shape of it. */
async function once(size, peer, rep) {
  await P.fresh(size.ctx);
  const name = `c${size.n}${PEERS.indexOf(peer)}${rep + 1}${RUN_ID}`;
  const paths = writeWorkload({ ...size.w, name }, join(WORK, name));
  const calls = join(WORK, name, 'calls.json');
  const env = { STACK_BENCH_CALLS: calls };
  const dir = stacks.find(([n]) => n === peer)?.[1];
  const argv =
    peer === 'floor'
      ? ['--import', RECORDER, 'bench/floor.mjs', paths.floor, size.ctx.sandboxJson]
      : [
          '--import',
          RECORDER,
          join(dir, 'bin', 'stack.js'),
          'apply',
          '--yes',
          '--json',
          '-i',
          size.ctx.inventory,
          '-f',
          paths.stack,
          '-p',
          name,
        ];
  const r = await P.run(process.execPath, argv, env);
  const shape = shapeOf(JSON.parse(readFileSync(calls, 'utf8')), size.w.hosts, r);
  log(
    `${size.n} hosts rep ${rep + 1}: ${peer} ${(shape.totalMs / 1000).toFixed(2)} s (before ${shape.beforeMs.toFixed(0)} ms, writes ${shape.spanMs.toFixed(0)} ms, after ${shape.afterMs.toFixed(0)} ms; ${shape.meanInFlight.toFixed(1)} in flight per host)`,
  );
  return { hosts: size.n, peer, rep, name, load: readFileSync('/proc/loadavg', 'utf8').split(' ')[0], ...shape };
}

const results = [];
for (const n of args.hosts.split(',').map(Number)) {
  const size = sizeOf(n);
  for (let rep = 0; rep < Number(args.reps); rep++) {
    const order = PEERS.map((_, i) => PEERS[(i + rep) % PEERS.length]);
    for (const peer of order) results.push(await once(size, peer, rep));
  }
}
await P.fresh(sizeOf(Math.max(...args.hosts.split(',').map(Number))).ctx);
const out = args.out ?? join(WORK, `shape-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify(results, null, 1));
log(`wrote ${out}`);
console.log(coldReport(results));
