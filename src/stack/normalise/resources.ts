/**
 * A service's share of its host, as compose-go reads it: memory (`mem_limit`, `mem_reservation`, `memswap_limit`,
 * `mem_swappiness`), CPU (`cpus`, `cpu_shares`, `cpu_period`, `cpu_quota`, `cpu_rt_*`, `cpuset`), `pids_limit`, the
 * OOM killer (`oom_kill_disable`, `oom_score_adj`) and block IO (`blkio_config`), with `deploy.resources.limits` and
 * `.reservations` (deploy wins, as in Compose; two different values for one limit are refused). What the daemon
 * would refuse at create (swap without a memory limit, below it, `cpus` beside a CFS period or quota, a real-time
 * runtime above its period) is an error here, at the key.
 */
import type { BlkioSpec, ResourcesSpec, ThrottleSpec } from '../types.js';
import { isRecord } from '../key-path.js';
import { parseCpus, parseSize } from '../units.js';
import { servicePath, type NormaliseContext } from './context.js';

type Tree = Record<string, unknown>;

const integer = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) ? value : undefined;

/** `memswap_limit`: a size, or -1 (unlimited swap). */
const swapSize = (value: unknown): number | undefined => (value === -1 || value === '-1' ? -1 : parseSize(value));

export function normaliseResources(service: Tree, context: NormaliseContext, name: string): ResourcesSpec {
  const deploy = isRecord(service.deploy) ? service.deploy : {};
  const res = isRecord(deploy.resources) ? deploy.resources : {};
  const limits = isRecord(res.limits) ? res.limits : {};
  const reservations = isRecord(res.reservations) ? res.reservations : {};
  const pick = <T>(deployValue: T | undefined, serviceValue: T | undefined, deployKey: string, serviceKey: string) => {
    if (deployValue !== undefined && serviceValue !== undefined && deployValue !== serviceValue) {
      context.problems.error(
        servicePath(name, serviceKey),
        `${serviceKey} and deploy.resources.${deployKey} set different values (Compose refuses it too)`,
        { atKey: true, hint: 'keep one of them' },
      );
    }
    return deployValue ?? serviceValue;
  };
  const spec: ResourcesSpec = {
    memoryLimit: pick(parseSize(limits.memory), parseSize(service.mem_limit), 'limits.memory', 'mem_limit'),
    memoryReservation: pick(
      parseSize(reservations.memory),
      parseSize(service.mem_reservation),
      'reservations.memory',
      'mem_reservation',
    ),
    nanoCpus: pick(parseCpus(limits.cpus), parseCpus(service.cpus), 'limits.cpus', 'cpus'),
    pidsLimit: pick(integer(limits.pids), integer(service.pids_limit), 'limits.pids', 'pids_limit'),
    ...memoryKeys(service),
    ...cpuKeys(service),
    ...oomKeys(service),
    blkio: normaliseBlkio(service.blkio_config),
  };
  checkMemory(spec, reservations, context, name);
  checkCpu(spec, service, context, name);
  return prune(spec);
}

function memoryKeys(service: Tree): ResourcesSpec {
  return { memorySwap: swapSize(service.memswap_limit), memorySwappiness: integer(service.mem_swappiness) };
}

function cpuKeys(service: Tree): ResourcesSpec {
  return {
    cpuShares: integer(service.cpu_shares),
    cpuPeriod: integer(service.cpu_period),
    cpuQuota: integer(service.cpu_quota),
    cpuRtPeriod: integer(service.cpu_rt_period),
    cpuRtRuntime: integer(service.cpu_rt_runtime),
    cpuset: typeof service.cpuset === 'string' ? service.cpuset : undefined,
  };
}

function oomKeys(service: Tree): ResourcesSpec {
  return {
    oomKillDisable: typeof service.oom_kill_disable === 'boolean' ? service.oom_kill_disable : undefined,
    oomScoreAdj: integer(service.oom_score_adj),
  };
}

/** `blkio_config`, each list in the order written; absent when the file sets nothing. */
export function normaliseBlkio(value: unknown): BlkioSpec | undefined {
  if (!isRecord(value)) return undefined;
  const throttles = (list: unknown, rate: (v: unknown) => number | undefined): ThrottleSpec[] | undefined =>
    Array.isArray(list) && list.length
      ? list.filter(isRecord).map((d) => ({ path: String(d.path), rate: rate(d.rate) ?? 0 }))
      : undefined;
  const weights = Array.isArray(value.weight_device) ? value.weight_device.filter(isRecord) : [];
  const spec: BlkioSpec = {
    weight: integer(value.weight),
    weightDevice: weights.length ? weights.map((d) => ({ path: String(d.path), weight: Number(d.weight) })) : undefined,
    deviceReadBps: throttles(value.device_read_bps, parseSize),
    deviceWriteBps: throttles(value.device_write_bps, parseSize),
    deviceReadIops: throttles(value.device_read_iops, integer),
    deviceWriteIops: throttles(value.device_write_iops, integer),
  };
  const kept = prune(spec);
  return Object.keys(kept).length ? kept : undefined;
}

/** What the daemon refuses of memory settings: a reservation above the limit, swap without a limit or below it. */
function checkMemory(spec: ResourcesSpec, reservations: Tree, context: NormaliseContext, name: string) {
  const { memoryLimit: limit, memoryReservation: reservation, memorySwap: swap } = spec;
  if (limit !== undefined && reservation !== undefined && reservation > limit) {
    const where =
      reservations.memory !== undefined
        ? servicePath(name, 'deploy', 'resources', 'reservations', 'memory')
        : servicePath(name, 'mem_reservation');
    context.problems.error(
      where,
      `the memory reservation (${reservation} bytes) is above the memory limit (${limit} bytes)`,
      { hint: 'lower the reservation or raise the limit' },
    );
  }
  if (swap === undefined || swap === -1) return;
  const at = servicePath(name, 'memswap_limit');
  if (limit === undefined)
    context.problems.error(at, 'memswap_limit needs a memory limit (the Engine refuses swap without one)', {
      hint: 'set mem_limit (or deploy.resources.limits.memory); memswap_limit is memory plus swap',
    });
  else if (swap < limit)
    context.problems.error(at, `memswap_limit (${swap} bytes) is below the memory limit (${limit} bytes)`, {
      hint: 'memswap_limit is memory plus swap: make it at least the memory limit, or -1 for unlimited swap',
    });
}

/** What the daemon refuses of CPU settings: `cpus` beside a CFS period or quota, a real-time runtime above its period. */
function checkCpu(spec: ResourcesSpec, service: Tree, context: NormaliseContext, name: string) {
  if (spec.nanoCpus !== undefined) {
    for (const key of ['cpu_period', 'cpu_quota'] as const)
      if (service[key] !== undefined)
        context.problems.error(servicePath(name, key), `${key} and cpus cannot both be set (the Engine refuses it)`, {
          atKey: true,
          hint: `cpus: N is a ${key === 'cpu_period' ? 'period' : 'quota'} of its own: keep cpus, or cpu_period with cpu_quota`,
        });
  }
  const { cpuRtPeriod: period, cpuRtRuntime: runtime } = spec;
  if (period !== undefined && runtime !== undefined && runtime > period)
    context.problems.error(
      servicePath(name, 'cpu_rt_runtime'),
      `cpu_rt_runtime (${runtime} µs) is above cpu_rt_period (${period} µs)`,
      { hint: 'the real-time runtime is a part of each period: make it at most cpu_rt_period' },
    );
}

/** Drops the keys whose value is undefined (the spec holds only what the file sets). */
function prune<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
