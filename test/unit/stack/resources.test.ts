/**
 * The cpu, memory, OOM, block IO and cgroup keys: read as compose-go reads them, refused at the key where the daemon
 * would refuse them, each one in the config hash (a file without them hashes as before) and in HostConfig.
 */
import test from 'ava';
import { createBodyOf, errors, find, load, where } from './helpers.js';

/** Named, so that hashes of different folders compare. */
const compose = (keys: string) => `name: demo\nservices:\n  web:\n    image: busybox\n${keys}`;

async function bodyOf(keys: string, env: Record<string, string> = {}) {
  const r = await load({ 'compose.yaml': compose(keys) }, { env });
  if (!r.value) throw new Error(JSON.stringify(r.diagnostics));
  return createBodyOf(r.value);
}

const ALL = [
  '    mem_limit: 64m',
  '    mem_reservation: 32m',
  '    memswap_limit: 128m',
  '    mem_swappiness: 10',
  '    cpu_shares: 512',
  '    cpu_period: 100000',
  '    cpu_quota: 50000',
  '    cpu_rt_period: 1000000',
  '    cpu_rt_runtime: 950000',
  '    cpuset: "0"',
  '    pids_limit: 50',
  '    oom_kill_disable: true',
  '    oom_score_adj: 300',
  '    blkio_config:',
  '      weight: 300',
  '      weight_device: [{ path: /dev/sda, weight: 400 }]',
  '      device_read_bps: [{ path: /dev/sda, rate: 12mb }]',
  '      device_write_bps: [{ path: /dev/sda, rate: 1024k }]',
  '      device_read_iops: [{ path: /dev/sda, rate: 120 }]',
  '      device_write_iops: [{ path: /dev/sda, rate: 30 }]',
  '    cgroup: private',
  '    cgroup_parent: /stack-test',
  '    runtime: runc',
  '    storage_opt: { size: 1G }',
  '    isolation: default',
  '',
].join('\n');

test('every key is normalised as compose-go reads it and reaches HostConfig', async (t) => {
  const { spec, host } = await bodyOf(ALL);
  t.deepEqual(spec.resources, {
    memoryLimit: 64 * 1024 ** 2,
    memoryReservation: 32 * 1024 ** 2,
    memorySwap: 128 * 1024 ** 2,
    memorySwappiness: 10,
    cpuShares: 512,
    cpuPeriod: 100000,
    cpuQuota: 50000,
    cpuRtPeriod: 1000000,
    cpuRtRuntime: 950000,
    cpuset: '0',
    pidsLimit: 50,
    oomKillDisable: true,
    oomScoreAdj: 300,
    blkio: {
      weight: 300,
      weightDevice: [{ path: '/dev/sda', weight: 400 }],
      deviceReadBps: [{ path: '/dev/sda', rate: 12 * 1024 ** 2 }],
      deviceWriteBps: [{ path: '/dev/sda', rate: 1024 * 1024 }],
      deviceReadIops: [{ path: '/dev/sda', rate: 120 }],
      deviceWriteIops: [{ path: '/dev/sda', rate: 30 }],
    },
  });
  t.like(spec, { cgroup: 'private', cgroupParent: '/stack-test', runtime: 'runc', storageOpt: { size: '1G' } });
  t.like(host, {
    Memory: 64 * 1024 ** 2,
    MemoryReservation: 32 * 1024 ** 2,
    MemorySwap: 128 * 1024 ** 2,
    MemorySwappiness: 10,
    CpuShares: 512,
    CpuPeriod: 100000,
    CpuQuota: 50000,
    CpuRealtimePeriod: 1000000,
    CpuRealtimeRuntime: 950000,
    CpusetCpus: '0',
    PidsLimit: 50,
    OomKillDisable: true,
    OomScoreAdj: 300,
    BlkioWeight: 300,
    CgroupnsMode: 'private',
    CgroupParent: '/stack-test',
    Runtime: 'runc',
    StorageOpt: { size: '1G' },
  });
  t.deepEqual(host.BlkioWeightDevice, [{ Path: '/dev/sda', Weight: 400 }]);
  t.deepEqual(host.BlkioDeviceReadBps, [{ Path: '/dev/sda', Rate: 12 * 1024 ** 2 }]);
  t.deepEqual(host.BlkioDeviceWriteIOps, [{ Path: '/dev/sda', Rate: 30 }]);
  t.false('Isolation' in host, 'isolation: default is what a Linux daemon does anyway');
});

test('a file without these keys sends none of them; each key, changed alone, changes the hash', async (t) => {
  const plain = await bodyOf('');
  for (const k of ['MemorySwap', 'CpuShares', 'CpuPeriod', 'OomScoreAdj', 'OomKillDisable', 'BlkioWeight'])
    t.false(k in plain.host, k);
  for (const k of ['CgroupnsMode', 'CgroupParent', 'Runtime', 'StorageOpt', 'CpusetCpus']) t.false(k in plain.host, k);
  const lines = ALL.split('\n').filter((l) => l && !l.startsWith('      ') && !l.includes('isolation'));
  const hashes = new Set([plain.hash]);
  for (const line of lines) {
    const keys = line.includes('blkio_config') ? '    blkio_config: { weight: 300 }\n' : `${line}\n`;
    const needs = /memswap_limit/.test(line) ? '    mem_limit: 64m\n' : '';
    const { hash } = await bodyOf(keys + needs);
    t.false(hashes.has(hash), line);
    hashes.add(hash);
  }
  t.is((await bodyOf('    isolation: default\n')).hash, plain.hash);
});

test('interpolated numbers and booleans are cast, as compose-go does', async (t) => {
  const { spec } = await bodyOf(
    '    cpu_shares: ${SHARES}\n    oom_score_adj: "${ADJ}"\n    oom_kill_disable: "${OFF}"\n    blkio_config: { weight: "${W}" }\n',
    { SHARES: '256', ADJ: '-5', OFF: 'true', W: '500' },
  );
  t.like(spec.resources, { cpuShares: 256, oomScoreAdj: -5, oomKillDisable: true, blkio: { weight: 500 } });
});

test('memswap_limit -1 is unlimited swap; the deploy.resources twins win where the service keys are absent', async (t) => {
  const { spec, host } = await bodyOf(
    '    memswap_limit: -1\n    deploy: { resources: { limits: { memory: 64m, pids: 20 }, reservations: { memory: 16m } } }\n',
  );
  t.like(spec.resources, { memorySwap: -1, memoryLimit: 64 * 1024 ** 2, pidsLimit: 20 });
  t.like(host, { MemorySwap: -1, Memory: 64 * 1024 ** 2, MemoryReservation: 16 * 1024 ** 2, PidsLimit: 20 });
});

test('what the daemon would refuse is an error at the key, saying what to write', async (t) => {
  const r = await load({
    'compose.yaml': compose(
      '    memswap_limit: 1g\n    cpus: 0.5\n    cpu_quota: 50000\n    cpu_rt_period: 1000\n    cpu_rt_runtime: 2000\n',
    ),
  });
  t.is(r.value, undefined);
  t.is(errors(r).length, 3, JSON.stringify(errors(r)));
  const swap = find(r, /memswap_limit needs a memory limit/);
  t.is(where(swap), 'compose.yaml:5:20 services.web.memswap_limit');
  t.regex(swap.hint ?? '', /set mem_limit/);
  t.is(where(find(r, /cpu_quota and cpus cannot both be set/)), 'compose.yaml:7:5 services.web.cpu_quota');
  t.is(
    where(find(r, /cpu_rt_runtime \(2000 µs\) is above cpu_rt_period/)),
    'compose.yaml:9:21 services.web.cpu_rt_runtime',
  );

  const below = await load({ 'compose.yaml': compose('    mem_limit: 1g\n    memswap_limit: 512m\n') });
  const d = find(below, /memswap_limit \(536870912 bytes\) is below the memory limit/);
  t.regex(d.hint ?? '', /-1 for unlimited swap/);
});

test('out-of-range values are schema errors naming the range', async (t) => {
  const r = await load({
    'compose.yaml': compose(
      [
        '    oom_score_adj: 2000',
        '    mem_swappiness: 101',
        '    cpuset: "0-3;5"',
        '    cgroup: shared',
        '    isolation: hyperv',
        '    cpu_period: 10',
        '    blkio_config: { weight: 5, device_read_bps: [{ path: sda, rate: 1m }] }',
        '',
      ].join('\n'),
    ),
  });
  t.is(r.value, undefined);
  t.regex(where(find(r, /from -1000 to 1000/)), /services\.web\.oom_score_adj$/);
  t.regex(where(find(r, /from 0 to 100/)), /services\.web\.mem_swappiness$/);
  t.regex(where(find(r, /CPU numbers and ranges/)), /services\.web\.cpuset$/);
  t.regex(where(find(r, /must be host or private/)), /services\.web\.cgroup$/);
  t.regex(find(r, /Windows isolation modes/).summary, /must be default/);
  t.regex(where(find(r, /from 1000 \(1ms\)/)), /services\.web\.cpu_period$/);
  t.regex(where(find(r, /weight from 10 to 1000/)), /services\.web\.blkio_config\.weight$/);
  t.regex(where(find(r, /absolute device path/)), /device_read_bps\[0\]\.path$/);
});

test('cpu_count and cpu_percent are refused as Windows-only, saying to use cpus', async (t) => {
  const r = await load({ 'compose.yaml': compose('    cpu_count: 2\n    cpu_percent: 50\n') });
  t.is(r.value, undefined);
  for (const key of ['cpu_count', 'cpu_percent']) {
    const d = find(r, `${key} is not supported`);
    t.regex(d.summary, /Windows daemons only/);
    t.is(d.hint, 'use cpus or deploy.resources.limits.cpus');
  }
});
