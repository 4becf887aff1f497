/** The bench's workload generator: what it writes for stack is a file `stack validate` accepts; every peer gets the same containers. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parse } from 'yaml';
import { writeWorkload } from '../../../bench/workloads.mjs';
import { planBench } from '../../../bench/plan-bench.mjs';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const hosts = ['h1', 'h2', 'h3'];
const workload = { name: 'bw', services: 4, replicas: 3, hosts, image: '10.77.0.2:5000/busybox:1.35' };

function validate(dir: string, file: string) {
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    `hosts:\n${hosts.map((h) => `  ${h}: { endpoint: "unix:///run/bench-smoke/${h}.sock" }`).join('\n')}\n`,
  );
  return spawnSync(
    process.execPath,
    [`${repo}bin/stack.js`, 'validate', '--json', '-f', file, '-i', inventory, '-p', 'bw'],
    { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } },
  );
}

test('the generated stack file validates: services, one overlay network, a volume per service, 3 hosts', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  const paths = writeWorkload(workload, dir);
  const r = validate(dir, paths.stack);
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.true(out.valid);
  t.is(out.services, 4);
  t.is(out.volumes, 4);
  t.is(out.networks, 1);
  t.deepEqual(out.hosts, hosts);
});

test("the changed-environment, rolling and smoke run's quick variants validate too", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  for (const variant of [
    { rev: { s01: '2' } },
    { tag: 'latest', healthcheck: true },
    { rev: { s01: '2' }, quick: true },
  ]) {
    const paths = writeWorkload({ ...workload, ...variant }, join(dir, JSON.stringify(variant).replace(/\W/g, '')));
    const r = validate(dir, paths.stack);
    t.is(r.status, 0, r.stderr);
  }
});

test('compose and the floor get the same containers: each host its share, 12 in all', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  const paths = writeWorkload(workload, dir);
  const scales = paths.compose.map((f: string) =>
    Object.values(parse(readFileSync(f, 'utf8')).services as Record<string, { scale: number }>).reduce(
      (a, s) => a + s.scale,
      0,
    ),
  );
  t.deepEqual(scales, [4, 4, 4]);
  const floor = JSON.parse(readFileSync(paths.floor, 'utf8'));
  t.deepEqual(
    floor.hosts.map((h: { containers: unknown[] }) => h.containers.length),
    [4, 4, 4],
  );
  t.is(floor.network.Driver, 'overlay');
});

test('the planning workload: a converged synthetic state plans nothing; 10% drift replaces 10% of the containers', async (t) => {
  const r = await planBench({ containers: 100, hosts: 10, drift: 0.1, reps: 1 });
  t.is(r.opsWithoutDrift, 0);
  t.is(r.replaced, 10);
});
