/**
 * Workload 6: planning alone, in process. A synthetic stack of `containers` replicas over `hosts` hosts is
 * loaded through stack's own loader; its observed state is built from what a cold apply would create (the
 * create bodies' labels, as the daemons would list them), then `drift` of the containers get a stale config
 * hash. Times reconcile(desired, observed) only — the pure planner, no I/O.
 *
 * Robust on a shared machine: `warmup` untimed plans first (JIT), then each timed plan starts with a
 * collected heap when the process runs with --expose-gc (no garbage of the previous sample is collected
 * inside the next one; a CLI run plans once, on a fresh heap). `npm run bench` runs it that way, in its own
 * process: node --expose-gc bench/plan-bench.mjs REPS, and REPS 10000 100 for the scale curve (issue 20). Each plan's
 * wall time (`samples`) and the process's CPU time over it (`cpuSamples`, seconds): on a machine other work keeps
 * busy the wall time grows with the load, the CPU time does not.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { loadStack } from '../dist/stack/index.js';
import { reconcile } from '../dist/plan/reconcile.js';
import { emptyObserved } from '../dist/observe/types.js';
import { parseContainer } from '../dist/observe/parse.js';
import { COMMAND } from './workloads.mjs';

const IMAGE = '10.77.0.2:5000/busybox:1.35';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** The synthetic stack file: `containers / 10` services of 10 replicas, hosts in x-stack.hosts (never contacted). */
export function syntheticStack(containers, hosts) {
  const services = {};
  for (let i = 0; i < containers / 10; i++)
    services[`s${String(i + 1).padStart(3, '0')}`] = {
      image: IMAGE,
      command: [...COMMAND],
      environment: { BENCH_REV: '1' },
      volumes: [`v${i + 1}:/data`],
      networks: ['net'],
      deploy: { replicas: 10 },
    };
  return {
    name: 'plan-bench',
    services,
    networks: { net: { driver: 'overlay' } },
    volumes: Object.fromEntries(Object.keys(services).map((_, i) => [`v${i + 1}`, {}])),
    'x-stack': {
      hosts: Object.fromEntries(
        Array.from({ length: hosts }, (_, h) => [
          `h${h + 1}`,
          { endpoint: `unix:///run/plan-bench/h${h + 1}.sock`, labels: {} },
        ]),
      ),
    },
  };
}

/** Builds the observed state of a fully applied stack, with `drift` (0–1) of its containers holding a stale hash. */
export function observedAfterApply(desired, drift) {
  const observed = emptyObserved(
    desired.name,
    desired.hosts.map((h) => h.name),
  );
  observed.digests[IMAGE] = DIGEST;
  const plan = reconcile(desired, observed);
  const ops = plan.operations;
  let n = 0;
  for (const h of Object.values(observed.hosts))
    h.images.push({ id: 'sha256:img', repoTags: [IMAGE], repoDigests: [`10.77.0.2:5000/busybox@${DIGEST}`] });
  for (const op of ops) {
    const host = observed.hosts[op.host];
    const body = op.params.body;
    if (op.kind === 'network.create')
      for (const h of Object.values(observed.hosts))
        h.networks.push({
          id: `net-${body.Name}`,
          name: body.Name,
          driver: body.Driver,
          scope: 'global',
          key: body.Labels?.['io.github.stack-deploy.network'],
          labels: body.Labels ?? {},
        });
    if (op.kind === 'volume.create')
      host.volumes.push({
        name: body.Name,
        driver: body.Driver ?? 'local',
        key: body.Labels?.['io.github.stack-deploy.volume'],
        labels: body.Labels ?? {},
      });
    if (op.kind === 'container.create') {
      const labels = { ...body.Labels };
      const drifted = Math.floor((n + 1) * drift) > Math.floor(n * drift);
      if (drifted) labels['io.github.stack-deploy.config-hash'] = 'stale';
      n++;
      const mounts = (body.HostConfig?.Mounts ?? []).map((m) => ({
        Type: m.Type,
        Name: m.Source,
        Destination: m.Target,
      }));
      host.containers.push(
        parseContainer(op.host, {
          Id: `${op.params.name}-id`,
          Names: [`/${op.params.name}`],
          Labels: labels,
          State: 'running',
          Status: 'Up 1 hour',
          NetworkSettings: {
            Networks: Object.fromEntries(Object.keys(body.NetworkingConfig?.EndpointsConfig ?? {}).map((k) => [k, {}])),
          },
          Mounts: mounts,
        }),
      );
    }
  }
  return observed;
}

/** Loads the synthetic stack and times `reps` plans against its drifted observed state. */
export async function planBench({ containers = 1000, hosts = 10, drift = 0.1, reps = 30, warmup = 5 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'stack-plan-bench-'));
  try {
    const file = join(dir, 'stack.yaml');
    writeFileSync(file, stringify(syntheticStack(containers, hosts)));
    const loaded = await loadStack({ files: [file], cwd: dir, env: {} });
    if (!loaded.value)
      throw new Error(`synthetic stack does not load: ${loaded.diagnostics.map((d) => d.summary).join('; ')}`);
    const desired = loaded.value;
    const observed = observedAfterApply(desired, drift);
    const clean = reconcile(desired, observedAfterApply(desired, 0));
    const samples = [];
    const cpuSamples = [];
    let plan;
    for (let i = 0; i < warmup; i++) reconcile(desired, observed);
    let heapPeak = 0;
    for (let i = 0; i < reps; i++) {
      globalThis.gc?.();
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      plan = reconcile(desired, observed);
      samples.push((performance.now() - t0) / 1000);
      const cpu = process.cpuUsage(c0);
      cpuSamples.push((cpu.user + cpu.system) / 1e6);
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
    const replaced = new Set(plan.operations.filter((o) => o.kind === 'container.create').map((o) => o.resource)).size;
    return {
      samples,
      // The process's CPU time (user + system, every thread) over each plan: what a busy machine does not inflate.
      cpuSamples,
      containers,
      hosts,
      drift,
      warmup,
      gc: typeof globalThis.gc === 'function',
      operations: plan.operations.length,
      replaced,
      opsWithoutDrift: clean.operations.length,
      // The heap right after a plan (its garbage not yet collected), at most over the samples: MiB.
      heapMiB: Math.round(heapPeak / 1048576),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// node --expose-gc bench/plan-bench.mjs [REPS [CONTAINERS HOSTS]]: e.g. `5 10000 100` for 10,000 containers on 100 hosts.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [reps = '30', containers = '1000', hosts = '10'] = process.argv.slice(2);
  console.log(
    JSON.stringify(await planBench({ reps: Number(reps), containers: Number(containers), hosts: Number(hosts) })),
  );
}
