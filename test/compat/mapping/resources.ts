/**
 * The mapping table of the cpu, memory, pids and block IO keys: a service-level key or its deploy.resources twin
 * (compose-go keeps both; docker compose sends the service-level one when set) against stack's ResourcesSpec.
 */
import type { ServiceSpec } from '../../../src/stack/types.js';
import type { FieldMapping } from './types.js';
import { defined, list, num, obj, type Json } from './values.js';

type Row = FieldMapping<ServiceSpec>;

function limits(c: Json): Json {
  return obj(obj(obj(c.deploy).resources).limits);
}

function reservations(c: Json): Json {
  return obj(obj(obj(c.deploy).resources).reservations);
}

/** A resource key: compose-go's value made a number, against stack's field of ResourcesSpec. */
function resource(key: string, field: keyof ServiceSpec['resources'], value: (c: Json) => unknown): Row {
  return { key, compose: (c) => num(value(c)), stack: (s) => s.resources[field] };
}

function plain(key: string, field: keyof ServiceSpec['resources']): Row {
  return { key, compose: (c) => c[key], stack: (s) => s.resources[field] };
}

function throttles(value: unknown): unknown {
  if (value === undefined) return undefined;
  return list(value).map((d) => ({ path: obj(d).Path, rate: num(obj(d).Rate) }));
}

function blkio(c: Json): unknown {
  if (c.blkio_config === undefined) return undefined;
  const b = obj(c.blkio_config);
  return defined({
    weight: b.weight,
    weightDevice:
      b.weight_device === undefined
        ? undefined
        : list(b.weight_device).map((d) => ({ path: obj(d).Path, weight: obj(d).Weight })),
    deviceReadBps: throttles(b.device_read_bps),
    deviceWriteBps: throttles(b.device_write_bps),
    deviceReadIops: throttles(b.device_read_iops),
    deviceWriteIops: throttles(b.device_write_iops),
  });
}

export const RESOURCE_FIELDS: readonly Row[] = [
  resource('mem_limit', 'memoryLimit', (c) => c.mem_limit ?? limits(c).memory),
  resource('mem_reservation', 'memoryReservation', (c) => c.mem_reservation ?? reservations(c).memory),
  resource('memswap_limit', 'memorySwap', (c) => c.memswap_limit),
  resource('mem_swappiness', 'memorySwappiness', (c) => c.mem_swappiness),
  {
    key: 'cpus',
    compose: (c) => {
      const cpus = num(c.cpus ?? limits(c).cpus);
      return cpus === undefined ? undefined : Math.round(cpus * 1e9);
    },
    stack: (s) => s.resources.nanoCpus,
  },
  resource('pids_limit', 'pidsLimit', (c) => c.pids_limit ?? limits(c).pids),
  resource('cpu_shares', 'cpuShares', (c) => c.cpu_shares),
  resource('cpu_period', 'cpuPeriod', (c) => c.cpu_period),
  resource('cpu_quota', 'cpuQuota', (c) => c.cpu_quota),
  resource('cpu_rt_period', 'cpuRtPeriod', (c) => c.cpu_rt_period),
  resource('cpu_rt_runtime', 'cpuRtRuntime', (c) => c.cpu_rt_runtime),
  plain('cpuset', 'cpuset'),
  plain('oom_kill_disable', 'oomKillDisable'),
  plain('oom_score_adj', 'oomScoreAdj'),
  { key: 'blkio_config', compose: blkio, stack: (s) => s.resources.blkio && defined({ ...s.resources.blkio }) },
];
