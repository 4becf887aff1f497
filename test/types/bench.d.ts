/**
 * Types for the bench's plain-JavaScript modules (bench/*.mjs), imported by test/unit/bench/workloads.test.ts.
 * A relative module name cannot be declared directly, so these match it by pattern; the signatures mirror the
 * JSDoc and the code of bench/workloads.mjs and bench/plan-bench.mjs.
 */

declare module '*/bench/workloads.mjs' {
  /** One description of a benchmark stack (the `Workload` typedef of bench/workloads.mjs). */
  export interface Workload {
    name: string;
    services: number;
    replicas: number;
    hosts: string[];
    image: string;
    rev?: Record<string, string>;
    tag?: string;
    healthcheck?: boolean;
  }

  /** Where writeWorkload wrote each rendering. */
  export interface WorkloadPaths {
    stack: string;
    floor: string;
    /** One docker-compose file per host, in the order of `Workload.hosts`. */
    compose: string[];
  }

  export const COMMAND: string[];
  export function serviceName(i: number): string;
  export function servicesOf(w: Workload): { name: string; env: { BENCH_REV: string }; volume: string }[];
  export function shareOf(w: Workload, hostIndex: number): number;
  export function stackFile(w: Workload): {
    version: string;
    services: Record<string, Record<string, unknown>>;
    networks: Record<string, { driver: string }>;
    volumes: Record<string, Record<string, never>>;
  };
  export function composeFile(w: Workload, hostIndex: number): {
    version: string;
    services: Record<string, Record<string, unknown> & { scale: number }>;
    networks: Record<string, { driver: string }>;
    volumes: Record<string, Record<string, never>>;
  };
  export function floorSpec(w: Workload): {
    network: { Name: string; Driver: string; CheckDuplicate: boolean };
    hosts: { host: string; volumes: string[]; containers: { name: string; body: Record<string, unknown> }[] }[];
  };
  export function writeWorkload(w: Workload, dir: string): WorkloadPaths;
}

declare module '*/bench/plan-bench.mjs' {
  import type { DesiredState } from '../../src/stack/types.js';
  import type { ObservedState } from '../../src/observe/types.js';

  export interface PlanBenchOptions {
    containers?: number;
    hosts?: number;
    drift?: number;
    reps?: number;
    warmup?: number;
  }

  export interface PlanBenchResult {
    /** Seconds per timed plan. */
    samples: number[];
    containers: number;
    hosts: number;
    drift: number;
    warmup: number;
    gc: boolean;
    operations: number;
    replaced: number;
    opsWithoutDrift: number;
  }

  export function syntheticStack(containers: number, hosts: number): Record<string, unknown>;
  export function observedAfterApply(desired: DesiredState, drift: number): ObservedState;
  export function planBench(options?: PlanBenchOptions): Promise<PlanBenchResult>;
}
