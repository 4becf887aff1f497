/** Shared by the vxlan-* tests: the vx sandbox instance (hosts without a cluster store), stacks on it, exec. */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { Labels } from '../../src/labels.js';
import Docker from 'dockerode';
import type { DesiredState, HostSpec, ServiceSpec, NetworkSpec } from '../../src/stack/types.js';
import { dockerOptions } from '../../src/docker/client.js';
import { ConsulOverlayStore } from '../../src/overlay/store.js';
import { ConsulClient } from '../../src/consul/client.js';
import { sandboxInstanceUp, VX_UP_ARGS, type Sandbox } from '../helpers/sandbox.js';
import { desired as buildDesired, network, service } from '../unit/plan/helpers.js';

export { service };
import { deploy } from './reconcile-helpers.js';
import type { ExecutionContext } from 'ava';
import { endpointOf } from '../helpers/endpoint.js';
export { deploy };

/** Destroys the stack at the end of the test (its networks, devices, leases and names too). */
export function cleanupVx(t: ExecutionContext, d: DesiredState): void {
  t.teardown(async () => {
    await deploy(d, { destroy: true, pruneVolumes: true }).catch(() => undefined);
  });
}

export const vx: Sandbox = sandboxInstanceUp('vx', VX_UP_ARGS);
export const IMAGE = vx.images.busybox;
export const store = () => new ConsulOverlayStore(new ConsulClient({ address: vx.consul.http, source: 'inventory' }));

/** The helper image the overlay uses on these hosts (no registry outside): the sandbox's busybox, by digest (the operator's setting). */
export const HELPER_IMAGE = vx.images.helper;

export function hostSpecs(names = ['h1', 'h2', 'h3']): HostSpec[] {
  return vx.hosts
    .filter((h) => names.includes(h.name))
    .map((h) => ({ name: h.name, endpoint: endpointOf(h.tcp, h.tls), labels: h.labels }));
}

export function docker(host: string): Docker {
  return new Docker(dockerOptions(hostSpecs(vx.hosts.map((h) => h.name)).find((h) => h.name === host)!.endpoint));
}

export function uniqueStack(prefix: string): string {
  return `tvx${prefix}${randomBytes(3).toString('hex')}`;
}

export function overlayNetwork(key: string, stack: string): NetworkSpec {
  return network(key, stack, { driver: 'overlay' });
}

export function vxDesired(
  name: string,
  services: ServiceSpec[],
  over: Partial<DesiredState> & { hostNames?: string[] } = {},
): DesiredState {
  const { hostNames, ...rest } = over;
  return buildDesired(services, {
    name,
    hosts: hostSpecs(hostNames),
    settings: {
      hostConcurrency: 4,
      globalConcurrency: 16,
      overlay: 'auto',
      consul: vx.consul.http,
      overlayHelperImage: HELPER_IMAGE,
    },
    networks: { default: overlayNetwork('default', name) },
    ...rest,
  } as never);
}

/** Runs a command in a running container; returns exit code and output. */
export async function exec(
  host: string,
  container: string,
  cmd: string[],
): Promise<{ exitCode: number; output: string }> {
  const e = await docker(host)
    .getContainer(container)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: true });
  const stream = await e.start({ hijack: true, stdin: false, Tty: true });
  const output = await new Promise<string>((resolve, reject) => {
    let s = '';
    stream.on('data', (d: Buffer) => (s += d.toString()));
    stream.on('end', () => resolve(s));
    stream.on('error', reject);
  });
  const info = await e.inspect();
  return { exitCode: info.ExitCode ?? -1, output };
}

/** The addresses busybox's nslookup prints for a name (after the server's own lines). */
export function addressesIn(nslookup: string): string[] {
  const out: string[] = [];
  let answers = false;
  for (const line of nslookup.split(/\r?\n/)) {
    if (/^Name:/.test(line)) answers = true;
    const m = /^Address(?: \d+)?:\s*([0-9.]+)/.exec(line.trim());
    if (answers && m) out.push(m[1]);
  }
  return [...new Set(out)].sort();
}

/** An HTTP server answering with its container's hostname. */
export function api(
  over: Partial<ServiceSpec> & { replicas?: number; constraints?: ServiceSpec['deploy']['constraints'] } = {},
): Omit<Partial<ServiceSpec>, 'deploy'> & { deploy: Partial<ServiceSpec['deploy']> } {
  const { replicas, constraints, ...rest } = over;
  return {
    image: IMAGE,
    command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www'],
    stopGracePeriodNs: 1e9,
    ...rest,
    deploy: {
      replicas: replicas ?? 2,
      constraints: constraints ?? [{ field: 'node.hostname', op: '!=', value: 'h1', text: 'node.hostname != h1' }],
    },
  };
}

export function onHost(host: string): ServiceSpec['deploy']['constraints'] {
  return [{ field: 'node.hostname', op: '==', value: host, text: `node.hostname == ${host}` }];
}

/** The VXLAN devices in a host's network namespace, with their flood destinations (read straight from the kernel). */
export function devicesOn(host: string): Record<string, string[]> {
  const netns = vx.hosts.find((h) => h.name === host)!.netns;
  const run = (args: string[]) =>
    execFileSync('nsenter', [`--net=/var/run/netns/${netns}`, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const out: Record<string, string[]> = {};
  for (const line of run(['ip', '-o', 'link', 'show', 'type', 'vxlan']).split('\n').filter(Boolean)) {
    const dev = line.split(': ')[1].split('@')[0];
    let fdb: string;
    try {
      fdb = run(['bridge', 'fdb', 'show', 'dev', dev]);
    } catch {
      continue; // removed meanwhile (another test's network)
    }
    out[dev] = fdb
      .split('\n')
      .filter((l) => l.startsWith('00:00:00:00:00:00'))
      .map((l) => /dst (\S+)/.exec(l)?.[1] ?? '')
      .filter(Boolean)
      .sort();
  }
  return out;
}

/** Deletes a host's VXLAN device by hand (as a reboot would lose it). */
export function deleteDevice(host: string, dev: string): void {
  const netns = vx.hosts.find((h) => h.name === host)!.netns;
  execFileSync('nsenter', [`--net=/var/run/netns/${netns}`, 'ip', 'link', 'del', dev]);
}

export const ipOf = (host: string) => vx.hosts.find((h) => h.name === host)!.ip;

/**
 * web (sleeps, on h1) and api (HTTP on 8080, 2 replicas off h1), from an image: the example both overlays run;
 * with `db`, also db (HTTP on 5432 answering `db`, on h3), the web/api/db example of examples/consul-overlay.
 */
export function webApiServices(image: string, apiReplicas = 2, db = false): ServiceSpec[] {
  const out = [
    service('api', api({ image, replicas: apiReplicas })),
    service('web', {
      image,
      command: ['sleep', '3600'],
      stopGracePeriodNs: 1e9,
      deploy: { constraints: onHost('h1') },
    }),
  ];
  if (db)
    out.push(
      service('db', {
        image,
        command: ['sh', '-c', 'mkdir -p /db && echo db > /db/index.html && exec httpd -f -p 5432 -h /db'],
        stopGracePeriodNs: 1e9,
        deploy: { constraints: onHost('h3') },
      }),
    );
  return out;
}

/** webApiServices on the vx hosts, on the stack's default `driver: overlay` network. */
export function webApi(
  name: string,
  over: { apiReplicas?: number; hostNames?: string[]; extra?: ServiceSpec[]; db?: boolean } = {},
): DesiredState {
  return vxDesired(name, [...webApiServices(IMAGE, over.apiReplicas, over.db), ...(over.extra ?? [])], {
    hostNames: over.hostNames,
  });
}

/** The api replicas of a stack: host, address on the default network, container hostname. */
export async function apiReplicas(
  name: string,
  hostNames = ['h1', 'h2', 'h3', 'h4'],
): Promise<{ host: string; ip: string; hostname: string }[]> {
  const out: { host: string; ip: string; hostname: string }[] = [];
  for (const h of hostNames) {
    const list = await docker(h).listContainers({
      filters: { label: [`${Labels.stack}=${name}`, `${Labels.service}=api`] },
    });
    for (const c of list)
      out.push({ host: h, ip: c.NetworkSettings.Networks[`${name}_default`].IPAddress, hostname: c.Id.slice(0, 12) });
  }
  return out.sort((a, b) => a.ip.localeCompare(b.ip));
}

/** The addresses `api` (or another name) resolves to from a container. */
export async function resolve(host: string, container: string, name = 'api'): Promise<string[]> {
  return addressesIn((await exec(host, container, ['nslookup', name])).output);
}
