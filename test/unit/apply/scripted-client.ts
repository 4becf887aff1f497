/**
 * A scripted host client for executor tests: it keeps containers as plain data (name, version, running,
 * healthcheck), answers inspects from a script (healthy, unhealthy, never healthy, exited), and samples how
 * many replicas of each service run after every write.
 */
import type { HostClient } from '../../../src/docker/client.js';
import type { ObservedState } from '../../../src/observe/types.js';
import { Labels } from '../../../src/labels.js';

export interface ScriptedContainer {
  name: string;
  host: string;
  service: string;
  hash: string;
  running: boolean;
  restarts: number;
  /** Config.Healthcheck as the daemon reports it: the create body's, else the image's. */
  healthcheck?: Record<string, unknown>;
}

/** What a container does once started: stays up (healthy when asked), fails its healthcheck, stays `starting` forever, or exits. */
export type Behaviour = 'ok' | 'unhealthy' | 'starting' | 'exits';

export interface ScriptedOptions {
  /** The image's HEALTHCHECK (Engine form), merged into containers created without one, as the daemon does. */
  imageHealthcheck?: Record<string, unknown>;
  /** A write's latency (else 1 ms) and failure, by host and what the log says of it (`start app-api-2_next`). */
  writeFault?: (host: string, what: string) => { delayMs?: number; error?: string } | undefined;
}

export class ScriptedCluster {
  readonly containers = new Map<string, ScriptedContainer>();
  readonly log: string[] = [];
  /** Running containers per service, sampled after every write. */
  readonly samples = new Map<string, number[]>();

  constructor(
    private readonly behaviour: (c: ScriptedContainer) => Behaviour = () => 'ok',
    private readonly options: ScriptedOptions = {},
  ) {}

  static from(
    observed: ObservedState,
    behaviour?: (c: ScriptedContainer) => Behaviour,
    options: ScriptedOptions = {},
  ): ScriptedCluster {
    const cluster = new ScriptedCluster(behaviour, options);
    for (const h of Object.values(observed.hosts))
      for (const c of h.containers)
        cluster.containers.set(`${h.name}/${c.name}`, {
          name: c.name,
          host: h.name,
          service: c.service,
          hash: c.configHash ?? '',
          running: c.state === 'running',
          restarts: 0,
          healthcheck: options.imageHealthcheck,
        });
    return cluster;
  }

  running(service: string): ScriptedContainer[] {
    return [...this.containers.values()].filter((c) => c.service === service && c.running);
  }

  private sample(): void {
    const services = new Set([...this.containers.values()].map((c) => c.service));
    for (const s of services) this.samples.set(s, [...(this.samples.get(s) ?? []), this.running(s).length]);
  }

  client(host: string): HostClient {
    const counts = { reads: 0, writes: 0 };
    const key = (n: string) => `${host}/${n}`;
    const get = (n: string) => {
      const c = this.containers.get(key(n));
      if (!c) throw new Error(`(HTTP code 404) no such container - ${n}`);
      return c;
    };
    const write = async (what: string, fn: () => void) => {
      counts.writes++;
      const fault = this.options.writeFault?.(host, what);
      await new Promise((r) => setTimeout(r, fault?.delayMs ?? 1));
      if (fault?.error) throw new Error(fault.error);
      this.log.push(`${host} ${what}`);
      fn();
      this.sample();
    };
    const c = {
      name: host,
      counts,
      pull: (i: string) => write(`pull ${i}`, () => undefined),
      createNetwork: () => write('create-network', () => undefined),
      createVolume: () => write('create-volume', () => undefined),
      connectNetwork: (_n: string, b: any) => write(`connect ${b.Container}`, () => undefined),
      disconnectNetwork: (_n: string, c: string) => write(`disconnect ${c}`, () => undefined),
      putArchive: (n: string) => write(`put ${n}`, () => undefined),
      update: (n: string) => write(`update ${n}`, () => undefined),
      createContainer: (n: string, body: any) =>
        write(`create ${n}`, () => {
          if (this.containers.has(key(n))) throw new Error(`(HTTP code 409) name ${n} in use`);
          const healthcheck =
            (body.Healthcheck as Record<string, unknown> | undefined) ?? this.options.imageHealthcheck;
          this.containers.set(key(n), {
            name: n,
            host,
            service: body.Labels[Labels.service],
            hash: body.Labels[Labels.configHash],
            running: false,
            restarts: 0,
            healthcheck,
          });
        }),
      start: (n: string) => write(`start ${n}`, () => void (get(n).running = true)),
      stop: (n: string) => write(`stop ${n}`, () => void (get(n).running = false)),
      remove: (n: string) => write(`remove ${n}`, () => void this.containers.delete(key(n))),
      rename: (n: string, m: string) =>
        write(`rename ${n} ${m}`, () => {
          const x = get(n);
          if (this.containers.has(key(m))) throw new Error(`(HTTP code 409) name ${m} in use`);
          this.containers.delete(key(n));
          x.name = m;
          this.containers.set(key(m), x);
        }),
      inspectContainer: async (n: string) => {
        counts.reads++;
        await new Promise((r) => setTimeout(r, 1));
        const x = get(n);
        const b = this.behaviour(x);
        if (b === 'exits' && x.running) {
          x.running = false;
          this.sample();
        }
        const status = b === 'unhealthy' ? 'unhealthy' : b === 'starting' ? 'starting' : 'healthy';
        return {
          RestartCount: 0,
          Config: { Healthcheck: x.healthcheck },
          State: {
            Running: x.running,
            ExitCode: x.running ? 0 : 1,
            Health: {
              Status: status,
              Log:
                status === 'starting'
                  ? []
                  : [
                      {
                        ExitCode: b === 'unhealthy' ? 1 : 0,
                        Output: b === 'unhealthy' ? 'wget: can not connect\n' : 'ok',
                      },
                    ],
            },
          },
        };
      },
    };
    return c as unknown as HostClient;
  }
}
