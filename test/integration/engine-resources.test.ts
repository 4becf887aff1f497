/**
 * The cpu, memory, OOM, block IO and cgroup keys on the sandbox (h1, through the built CLI): each reaches the Engine
 * and is read back from the daemon's inspect, the limits hold inside the running container, a second plan finds
 * nothing to do, and changing one key of one service recreates that service's container and no other. The extra
 * groups, domain name, MAC address, label files, device cgroup rules and a bind's SELinux mode (`:z`) too; `gpus` on a daemon without a GPU driver
 * (the sandbox has none) fails the apply with the daemon's reason, naming the host.
 */
import { writeFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { containersOf, docker, execIn, IMAGE, uniqueStack } from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';

test.before(() => ensureBuilt());

const MiB = 1024 * 1024;

function composeFile(name: string, shares: number): string {
  return `name: ${name}
services:
  tuned:
    image: ${IMAGE()}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    stop_grace_period: 1s
    mem_limit: 64m
    mem_reservation: 32m
    memswap_limit: 128m
    mem_swappiness: 10
    cpu_shares: ${shares}
    cpu_period: 100000
    cpu_quota: 50000
    cpuset: "0"
    pids_limit: 50
    oom_kill_disable: true
    oom_score_adj: 300
    blkio_config:
      device_read_bps: [{ path: /dev/vda, rate: 8mb }]
      device_write_iops: [{ path: /dev/vda, rate: 200 }]
    cgroup: private
    runtime: runc
    isolation: default
    group_add: ["1234"]
    domainname: example.internal
    mac_address: "02:42:ac:11:00:99"
    device_cgroup_rules: ["c 1:3 mr"]
    labels: { tier: api }
    label_file: ./app.labels
    volumes: ["./relabelled:/data:z"]
  plain:
    image: ${IMAGE()}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    stop_grace_period: 1s
`;
}

function onH1(t: ExecutionContext, compose: string): string {
  const dir = writeDir({
    'compose.yaml': compose,
    'app.labels': 'tier=web\nteam=core\n',
    'inventory.yaml': inventoryYaml(sandboxHosts(['h1'])),
  });
  t.teardown(() => runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir).catch(() => undefined));
  return dir;
}

async function idsByService(name: string): Promise<Record<string, string>> {
  const found = [...(await containersOf(name)).values()];
  return Object.fromEntries(found.map((c) => [c.info.Labels['io.github.stack-deploy.service'], c.info.Id]));
}

test('the keys reach HostConfig and hold in the container; changing cpu_shares recreates that service alone', async (t) => {
  const name = uniqueStack('res');
  const dir = onH1(t, composeFile(name, 512));
  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  const before = await idsByService(name);
  const info = await docker('h1').getContainer(before.tuned).inspect();
  t.is(info.State.Status, 'running');
  const h = info.HostConfig as typeof info.HostConfig & Record<string, unknown>;
  t.like(h, {
    Memory: 64 * MiB,
    MemoryReservation: 32 * MiB,
    MemorySwap: 128 * MiB,
    MemorySwappiness: 10,
    CpuShares: 512,
    CpuPeriod: 100000,
    CpuQuota: 50000,
    CpusetCpus: '0',
    PidsLimit: 50,
    OomKillDisable: true,
    OomScoreAdj: 300,
    CgroupnsMode: 'private',
    Runtime: 'runc',
  });
  t.deepEqual(h.BlkioDeviceReadBps, [{ Path: '/dev/vda', Rate: 8 * MiB }]);
  t.deepEqual(h.BlkioDeviceWriteIOps, [{ Path: '/dev/vda', Rate: 200 }]);
  t.deepEqual(h.GroupAdd, ['1234']);
  t.true(
    (h.Binds ?? []).some((bind) => bind.endsWith(':/data:rw,z')),
    `a :z bind reaches HostConfig.Binds with its mode: ${JSON.stringify(h.Binds)}`,
  );
  t.deepEqual(h.DeviceCgroupRules, ['c 1:3 mr']);
  t.like(info.Config, { Domainname: 'example.internal', Labels: { tier: 'api', team: 'core' } });

  const sh = async (script: string) => (await execIn('h1', before.tuned, ['sh', '-c', script])).output.trim();
  t.is(await sh('cat /proc/self/oom_score_adj'), '300');
  // a private cgroup namespace: the container's own cgroup is its root
  t.is(await sh('grep :memory: /proc/self/cgroup | cut -d: -f3'), '/');
  t.is(await sh('cat /sys/fs/cgroup/memory/memory.limit_in_bytes'), String(64 * MiB));
  t.is(await sh('cat /sys/fs/cgroup/cpu/cpu.shares'), '512');
  t.regex(await sh('id -G'), /\b1234\b/);
  t.is(await sh('cat /proc/sys/kernel/domainname'), 'example.internal');
  t.is(await sh('cat /sys/class/net/eth0/address'), '02:42:ac:11:00:99');

  const again = await runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
  t.is(again.code, 0, `nothing to do on a second plan: ${again.stdout}${again.stderr}`);

  writeFileSync(`${dir}/compose.yaml`, composeFile(name, 1024));
  const plan = await runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
  t.is(plan.code, 2, plan.stdout + plan.stderr);
  t.regex(plan.stdout, /resources\.cpuShares/);
  t.notRegex(plan.stdout, /plain/, 'the other service is not in the plan');
  const changed = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(changed.code, 0, changed.stdout + changed.stderr);
  const after = await idsByService(name);
  t.is(after.plain, before.plain, 'the other service keeps its container');
  t.not(after.tuned, before.tuned, 'the changed service has a new one');
  const replaced = await docker('h1').getContainer(after.tuned).inspect();
  t.is(replaced.HostConfig.CpuShares, 1024);
});

test('gpus on a daemon without a GPU driver: the apply fails naming the host and the driver, and nothing runs', async (t) => {
  const name = uniqueStack('gpu');
  const dir = onH1(
    t,
    `name: ${name}\nservices:\n  ml:\n    image: ${IMAGE()}\n    command: ["sleep", "3600"]\n    gpus: all\n`,
  );
  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(applied.code, 1, applied.stdout + applied.stderr);
  const out = applied.stdout + applied.stderr;
  t.regex(out, /h1.*could not select device driver/);
  t.log(
    out
      .split('\n')
      .filter((l) => /device driver/.test(l))
      .join('\n'),
  );
  t.notRegex(applied.stderr, /\n\s+at /, 'no stack trace');
  const running = [...(await containersOf(name)).values()].filter((c) => c.info.State === 'running');
  t.deepEqual(running, []);
});
