/**
 * The workload generator: one description of a benchmark stack (services × replicas over hosts, an
 * overlay network, a named volume per service) rendered for every peer — the stack file (also a
 * Compose v3 file that `docker stack deploy` accepts), one docker-compose v1 file per host with that
 * host's share of the replicas on a bridge network, and the floor's list of Engine API bodies.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** A long-running command that exits at once on SIGTERM (a plain `sleep` as PID 1 would wait the full grace period). */
export const COMMAND = ['sh', '-c', "trap 'exit 0' TERM; sleep 86400 & wait"];

/**
 * @typedef {{ name: string, services: number, replicas: number, hosts: string[], image: string,
 *   rev?: Record<string, string>, tag?: string, healthcheck?: boolean, quick?: boolean }} Workload
 * `quick` (the smoke run's): a changed service rolls with `monitor: 1s` instead of the default 5 s.
 */

export const serviceName = (i) => `s${String(i + 1).padStart(2, '0')}`;

/** The services of a workload with their environment (BENCH_REV per service, 1 unless `rev` says otherwise). */
export function servicesOf(w) {
  return Array.from({ length: w.services }, (_, i) => {
    const name = serviceName(i);
    return { name, env: { BENCH_REV: w.rev?.[name] ?? '1' }, volume: `${name}-data` };
  });
}

/** Replica r (0-based) of every service goes to host r mod hosts: the even spread all three peers produce. */
export function shareOf(w, hostIndex) {
  let n = 0;
  for (let r = 0; r < w.replicas; r++) if (r % w.hosts.length === hostIndex) n++;
  return n;
}

const imageOf = (w) => (w.tag ? w.image.replace(/:[^:/]+$/, `:${w.tag}`) : w.image);
const healthcheck = { test: ['CMD', 'true'], interval: '1s', timeout: '10s', retries: 5, start_period: '0s' };

/** The stack file: a Compose v3.8 file (no top-level `name`, which Docker 20.10's schema refuses). */
export function stackFile(w) {
  const services = {};
  for (const s of servicesOf(w)) {
    services[s.name] = {
      image: imageOf(w),
      command: COMMAND,
      environment: s.env,
      volumes: [`${s.volume}:/data`],
      networks: ['net'],
      ...(w.healthcheck ? { healthcheck } : {}),
      deploy: {
        replicas: w.replicas,
        ...(w.healthcheck
          ? {
              update_config: {
                parallelism: 1,
                delay: '0s',
                order: 'stop-first',
                monitor: '1s',
                failure_action: 'pause',
              },
            }
          : w.quick
            ? { update_config: { monitor: '1s' } }
            : {}),
      },
    };
  }
  return {
    version: '3.8',
    services,
    networks: { net: { driver: 'overlay' } },
    volumes: Object.fromEntries(servicesOf(w).map((s) => [s.volume, {}])),
  };
}

/** docker-compose v1 file for one host: its share of each service (`scale`), a bridge network, the volumes. */
export function composeFile(w, hostIndex) {
  const services = {};
  for (const s of servicesOf(w)) {
    const scale = shareOf(w, hostIndex);
    if (scale === 0) continue;
    services[s.name] = {
      image: imageOf(w),
      command: COMMAND,
      environment: s.env,
      volumes: [`${s.volume}:/data`],
      networks: ['net'],
      scale,
    };
  }
  return {
    version: '2.4',
    services,
    networks: { net: { driver: 'bridge' } },
    volumes: Object.fromEntries(servicesOf(w).map((s) => [s.volume, {}])),
  };
}

/**
 * The floor: per host, the volumes and containers (Engine API bodies) of its share; one engine overlay
 * network created once (the hosts share a cluster store, so it is global).
 */
export function floorSpec(w) {
  const network = `${w.name}_net`;
  return {
    network: { Name: network, Driver: 'overlay', CheckDuplicate: true },
    hosts: w.hosts.map((host, h) => ({
      host,
      volumes: servicesOf(w).map((s) => `${w.name}_${s.volume}`),
      containers: servicesOf(w).flatMap((s) =>
        Array.from({ length: shareOf(w, h) }, (_, k) => ({
          name: `${w.name}_${s.name}_${h + 1}_${k + 1}`,
          body: {
            Image: imageOf(w),
            Cmd: COMMAND,
            Env: Object.entries(s.env).map(([k2, v]) => `${k2}=${v}`),
            HostConfig: { Mounts: [{ Type: 'volume', Source: `${w.name}_${s.volume}`, Target: '/data' }] },
            NetworkingConfig: { EndpointsConfig: { [network]: {} } },
          },
        })),
      ),
    })),
  };
}

/** Writes every rendering of a workload under `dir`; returns the paths. */
export function writeWorkload(w, dir) {
  mkdirSync(dir, { recursive: true });
  const paths = {
    stack: join(dir, 'stack.yaml'),
    floor: join(dir, 'floor.json'),
    compose: w.hosts.map((h) => join(dir, `compose-${h}.yaml`)),
  };
  writeFileSync(paths.stack, stringify(stackFile(w), { aliasDuplicateObjects: false }));
  writeFileSync(paths.floor, JSON.stringify(floorSpec(w), null, 1));
  w.hosts.forEach((_, i) =>
    writeFileSync(paths.compose[i], stringify(composeFile(w, i), { aliasDuplicateObjects: false })),
  );
  return paths;
}
