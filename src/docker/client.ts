/**
 * One HostClient per Docker daemon, over dockerode (unix socket, or tcp with TLS). Every method
 * rethrows with context (host, object); 304 on start/stop and 404 on remove count as success, since
 * the work is already done. Calls are counted per host, reads apart from writes, for the summary.
 */
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import type { HostSpec } from '../stack/types.js';
import type { AuthConfig } from './auth.js';

export interface CallCounts {
  reads: number;
  writes: number;
}

export class HostError extends Error {
  constructor(
    readonly host: string,
    readonly action: string,
    readonly target: string | undefined,
    readonly statusCode: number | undefined,
    cause: unknown,
  ) {
    const detail = cause instanceof Error ? ((cause as { json?: { message?: string } }).json?.message ?? cause.message) : String(cause);
    super(`host ${host}: ${action}${target ? ` ${target}` : ''}: ${detail.trim()}`, { cause });
    this.name = 'HostError';
  }
}

type Obj = Record<string, any>;

/** dockerode options for a host endpoint: `unix:///path`, `tcp://ip:port` (TLS when the spec has tls). */
export function dockerOptions(spec: HostSpec): Docker.DockerOptions {
  const url = new URL(spec.endpoint);
  if (url.protocol === 'unix:') return { socketPath: url.pathname };
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const tls = spec.tls;
    return {
      host: url.hostname,
      port: Number(url.port || (tls ? 2376 : 2375)),
      protocol: tls ? 'https' : 'http',
      ...(tls ? { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key) } : {}),
    };
  }
  throw new Error(`host ${spec.name}: unsupported endpoint ${spec.endpoint} (use unix:// or tcp://)`);
}

function statusOf(err: unknown): number | undefined {
  return typeof (err as { statusCode?: unknown })?.statusCode === 'number' ? (err as { statusCode: number }).statusCode : undefined;
}

export class HostClient {
  readonly counts: CallCounts = { reads: 0, writes: 0 };
  readonly docker: Docker;

  constructor(
    readonly name: string,
    docker: Docker,
  ) {
    this.docker = docker;
  }

  static fromSpec(spec: HostSpec): HostClient {
    return new HostClient(spec.name, new Docker(dockerOptions(spec)));
  }

  private async call<T>(kind: 'read' | 'write', action: string, target: string | undefined, fn: () => Promise<T>, ok: number[] = []): Promise<T | undefined> {
    if (kind === 'read') this.counts.reads++;
    else this.counts.writes++;
    try {
      return await fn();
    } catch (err) {
      const status = statusOf(err);
      if (status !== undefined && ok.includes(status)) return undefined;
      throw new HostError(this.name, action, target, status, err);
    }
  }

  async ping(): Promise<void> {
    await this.call('read', 'ping', undefined, () => this.docker.ping());
  }

  /** GET /info: the daemon's configuration (cluster store, advertise address, …). */
  async info(): Promise<Obj> {
    return (await this.call('read', 'info', undefined, () => this.docker.info()))!;
  }
  async listContainers(filters: Obj): Promise<Obj[]> {
    return (await this.call('read', 'list containers', undefined, () => this.docker.listContainers({ all: true, filters }))) ?? [];
  }
  async listNetworks(filters: Obj): Promise<Obj[]> {
    return (await this.call('read', 'list networks', undefined, () => this.docker.listNetworks({ filters }))) ?? [];
  }
  async listVolumes(filters: Obj): Promise<Obj[]> {
    const res = await this.call('read', 'list volumes', undefined, () => this.docker.listVolumes({ filters }));
    return (res?.Volumes as Obj[]) ?? [];
  }
  async listImages(): Promise<Obj[]> {
    return (await this.call('read', 'list images', undefined, () => this.docker.listImages())) ?? [];
  }
  async inspectContainer(name: string): Promise<Obj> {
    return (await this.call('read', 'inspect container', name, () => this.docker.getContainer(name).inspect()))!;
  }
  /** The manifest digest a tag points to now, asked through the daemon's distribution endpoint. */
  async distribution(image: string, auth?: AuthConfig): Promise<string> {
    const res = (await this.call('read', 'resolve digest of', image, () => this.docker.getImage(image).distribution(auth ? { authconfig: auth } : {})))!;
    return (res as Obj).Descriptor.digest as string;
  }
  async pull(image: string, auth?: AuthConfig): Promise<void> {
    await this.call('write', 'pull', image, async () => {
      const stream = await this.docker.pull(image, auth ? { authconfig: auth } : {});
      const output = await new Promise<Obj[]>((resolve, reject) => this.docker.modem.followProgress(stream, (err: unknown, out: Obj[]) => (err ? reject(err) : resolve(out))));
      const failed = output.find((o) => o.error || o.errorDetail);
      if (failed) throw new Error(failed.error ?? failed.errorDetail?.message);
    });
  }
  async createNetwork(body: Obj): Promise<void> {
    await this.call('write', 'create network', body.Name, () => this.docker.createNetwork(body as Docker.NetworkCreateOptions));
  }
  async removeNetwork(name: string): Promise<void> {
    await this.call('write', 'remove network', name, () => this.docker.getNetwork(name).remove(), [404]);
  }
  async createVolume(body: Obj): Promise<void> {
    await this.call('write', 'create volume', body.Name, () => this.docker.createVolume(body as Docker.VolumeCreateOptions));
  }
  async removeVolume(name: string): Promise<void> {
    await this.call('write', 'remove volume', name, () => this.docker.getVolume(name).remove(), [404]);
  }
  async createContainer(name: string, body: Obj): Promise<string> {
    const c = await this.call('write', 'create container', name, () => this.docker.createContainer({ ...body, name } as Docker.ContainerCreateOptions));
    return c!.id;
  }
  async connectNetwork(network: string, body: Obj): Promise<void> {
    await this.call('write', `connect ${body.Container} to network`, network, () => this.docker.getNetwork(network).connect(body));
  }
  async start(name: string): Promise<void> {
    await this.call('write', 'start container', name, () => this.docker.getContainer(name).start(), [304]);
  }
  async stop(name: string, timeoutSeconds?: number): Promise<void> {
    await this.call('write', 'stop container', name, () => this.docker.getContainer(name).stop(timeoutSeconds === undefined ? {} : { t: timeoutSeconds }), [304]);
  }
  async remove(name: string, options: { force: boolean; volumes: boolean }): Promise<void> {
    await this.call('write', 'remove container', name, () => this.docker.getContainer(name).remove({ force: options.force, v: options.volumes }), [404]);
  }
  async rename(name: string, newName: string): Promise<void> {
    await this.call('write', `rename container to ${newName}`, name, () => this.docker.getContainer(name).rename({ name: newName }));
  }
  async update(name: string, body: Obj): Promise<void> {
    await this.call('write', 'update container', name, () => this.docker.getContainer(name).update(body));
  }
  async putArchive(name: string, path: string, archive: Buffer): Promise<void> {
    await this.call('write', 'put archive into', name, () => this.docker.getContainer(name).putArchive(archive, { path }));
  }
}

/** One client per host, by name. */
export function clientsFor(hosts: readonly HostSpec[]): Map<string, HostClient> {
  return new Map(hosts.map((h) => [h.name, HostClient.fromSpec(h)]));
}
