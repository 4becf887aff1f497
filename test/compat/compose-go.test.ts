/**
 * stack's loader against compose-go, the loader `docker compose` uses (issue 22): test/compat/main.go loads each
 * fixture under test/compat/fixtures/ with compose-go (the version go.mod pins) and prints the project as JSON; each
 * case compares the fields it is about with what loadStack gives, or checks that both refuse the file.
 *
 * The program is built and run by compose-load.ts. Without Go the tests are skipped, saying so.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { loadStack, StackSchema, type DesiredState, type LoadResult } from '../../src/stack/index.js';
import { composeBinary, composeLoad, hasGo, type ComposeProject, type ComposeResult } from './compose-load.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, 'fixtures');
const schema = new StackSchema();

const go = hasGo();
const binary = go ? composeBinary() : '';

/** compose-go's view of a fixture, with an environment holding nothing of the caller's. */
function compose(fixture: string): ComposeResult {
  return composeLoad(binary, path.join(fixtures, fixture));
}

async function stack(fixture: string): Promise<LoadResult> {
  const cwd = path.join(fixtures, fixture);
  return loadStack({ cwd, env: { HOME: '/nonexistent' }, schema, checkPolicy: false });
}

/** Both loaders, the file accepted by each. */
async function both(t: ExecutionContext, fixture: string): Promise<[ComposeProject, DesiredState]> {
  const c = compose(fixture);
  const s = await stack(fixture);
  if (!c.ok) throw new Error(`compose-go refused ${fixture}: ${c.error}`);
  const errors = s.diagnostics.filter((d) => d.severity === 'error');
  t.deepEqual(errors, [], `stack refused ${fixture}`);
  return [c.project, s.value!];
}

const compat = go ? test : test.skip;
if (!go)
  test('compose-go comparison skipped: Go is not installed (install golang to run test/compat)', (t) => t.pass());

compat('1. COMPOSE_PROJECT_NAME from .env, and ${COMPOSE_PROJECT_NAME}', async (t) => {
  const [c, s] = await both(t, 'project-name');
  t.is(s.name, c.name);
  t.is(s.services.app.labels.project, (c.services.app.labels as Record<string, string>).project);
});

compat('2. an integer beyond 2^53 in environment', async (t) => {
  const [c, s] = await both(t, 'big-integer');
  t.deepEqual(s.services.app.environment, c.services.app.environment);
});

compat("3. a relative device: of a local volume's bind", async (t) => {
  const [c, s] = await both(t, 'volume-device');
  t.deepEqual(s.volumes.data.driverOpts, c.volumes!.data.driver_opts);
  t.is(s.volumes.data.name, c.volumes!.data.name as string);
});

compat('4. env_file interpolation sees environment:, and environment: wins', async (t) => {
  const [c, s] = await both(t, 'env-file');
  t.deepEqual(s.services.app.environment, c.services.app.environment);
});

compat('5. restart: with deploy.restart_policy: the deploy policy, as docker compose maps it', async (t) => {
  const [c, s] = await both(t, 'restart-policy');
  // docker compose (getRestartPolicy) uses deploy.restart_policy when set: on-failure → on-failure, max_attempts.
  const policy = (c.services.app.deploy as { restart_policy: { condition: string; max_attempts: number } })
    .restart_policy;
  t.deepEqual(s.services.app.restart, { name: policy.condition, maximumRetryCount: policy.max_attempts });
});

compat('6. create_host_path defaults to true on long-syntax binds', async (t) => {
  const [c, s] = await both(t, 'bind-create');
  // compose-go omits create_host_path when it is true (an opt-out flag).
  const created = (c.services.app.volumes as { bind?: { create_host_path?: boolean } }[]).map(
    (v) => v.bind?.create_host_path !== false,
  );
  t.deepEqual(
    s.services.app.mounts.map((m) => m.bind?.createHostPath),
    created,
  );
  t.deepEqual(created, [true, false]);
});

compat('7. a merge key through an alias to a list of mappings', async (t) => {
  const [c, s] = await both(t, 'merge-alias-list');
  t.deepEqual(
    [s.services.app.image, s.services.app.hostname, s.services.app.user, s.services.app.workingDir],
    [c.services.app.image, c.services.app.hostname, c.services.app.user, c.services.app.working_dir],
  );
});

compat('8. a null label, a quoted boolean, an uppercase name:', async (t) => {
  const [c, s] = await both(t, 'plain-values');
  t.is(s.name, c.name);
  t.deepEqual(s.services.app.labels, c.services.app.labels);
  t.is(s.services.app.readOnly, c.services.app.read_only as boolean);
});

compat('9. bracketed IPv6 in extra_hosts', async (t) => {
  const [c, s] = await both(t, 'extra-hosts');
  const composeHosts = (c.services.app.extra_hosts as string[]).map((h) => h.replace('=', ':')).sort();
  t.deepEqual([...s.services.app.extraHosts].sort(), composeHosts);
});

compat('12. the cpu, memory, OOM, block IO and cgroup keys (a quoted integer too)', async (t) => {
  const [c, s] = await both(t, 'resources');
  const a = c.services.app;
  const r = s.services.app.resources;
  const n = (v: unknown) => Number(v);
  t.deepEqual(
    [r.memoryLimit, r.memoryReservation, r.memorySwap, r.memorySwappiness],
    [a.mem_limit, a.mem_reservation, a.memswap_limit, a.mem_swappiness].map(n),
  );
  t.deepEqual(
    [r.cpuShares, r.cpuPeriod, r.cpuQuota, r.cpuRtPeriod, r.cpuRtRuntime, r.cpuset, r.pidsLimit],
    [a.cpu_shares, a.cpu_period, a.cpu_quota, a.cpu_rt_period, a.cpu_rt_runtime, a.cpuset, a.pids_limit],
  );
  t.deepEqual([r.oomKillDisable, r.oomScoreAdj], [a.oom_kill_disable, a.oom_score_adj]);
  type Device = { Path: string; Rate?: string; Weight?: number };
  const blkio = a.blkio_config as Record<string, Device[] | number>;
  const devices = (key: string) => (blkio[key] as Device[]).map((d) => ({ path: d.Path, rate: n(d.Rate) }));
  t.deepEqual(r.blkio, {
    weight: blkio.weight as number,
    weightDevice: (blkio.weight_device as Device[]).map((d) => ({ path: d.Path, weight: d.Weight })),
    deviceReadBps: devices('device_read_bps'),
    deviceWriteIops: devices('device_write_iops'),
  });
  const spec = s.services.app;
  t.deepEqual(
    [spec.cgroup, spec.cgroupParent, spec.runtime, spec.storageOpt],
    [a.cgroup, a.cgroup_parent, a.runtime, a.storage_opt],
  );
});

compat(
  '13. include: the included project interpolated with its own .env, its paths against its own folder',
  async (t) => {
    const [c, s] = await both(t, 'include');
    t.deepEqual(Object.keys(s.services).sort(), Object.keys(c.services).sort());
    t.is(s.services.db.image, c.services.db.image as string);
    t.deepEqual(s.services.db.environment, c.services.db.environment);
    t.is(s.services.db.mounts[0].source, (c.services.db.volumes as { source: string }[])[0].source);
  },
);

for (const fixture of [
  'refuse-integer-key',
  'refuse-spaced-environment',
  'refuse-watch-without-action',
  'refuse-distinct-cpus',
  'refuse-unclosed-quote',
  'refuse-services-list',
  'refuse-include-cycle',
]) {
  compat(`10/11. both refuse: ${fixture}`, async (t) => {
    const c = compose(fixture);
    const s = await stack(fixture);
    t.false(c.ok, 'compose-go accepted it');
    t.true(
      s.diagnostics.some((d) => d.severity === 'error'),
      'stack accepted it',
    );
  });
}

compat(
  '10. a service named x-…: compose-go loads it as a service, stack refuses it (a deliberate difference)',
  async (t) => {
    const c = compose('refuse-x-service');
    const s = await stack('refuse-x-service');
    if (!c.ok) return t.fail(`compose-go refused it: ${c.error}`);
    t.deepEqual(Object.keys(c.project.services).sort(), ['app', 'x-helper']);
    t.true(s.diagnostics.some((d) => d.severity === 'error' && d.summary.includes('x-helper')));
  },
);
