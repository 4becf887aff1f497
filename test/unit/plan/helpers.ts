/** Builders for literal desired and observed states, and a tiny simulator of what an apply leaves behind. */
import type { DesiredState, ServiceSpec, NetworkSpec, HostSpec } from '../../../src/stack/types.js';
import type { ObservedState, ObservedContainer } from '../../../src/observe/types.js';
import { emptyObserved } from '../../../src/observe/types.js';
import { parseContainer } from '../../../src/observe/parse.js';
import { parseNetwork } from '../../../src/observe/networks.js';
import type { Operation, Plan } from '../../../src/plan/types.js';
import { Labels } from '../../../src/labels.js';
import { splitImageRef } from '../../../src/docker/image-ref.js';
import { endpointOf } from '../../helpers/endpoint.js';

export const IMAGE = '10.77.0.2:5000/busybox:1.35';
export const DIGEST = 'sha256:1111111111111111111111111111111111111111111111111111111111111111';
export const DIGEST2 = 'sha256:2222222222222222222222222222222222222222222222222222222222222222';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export function service(
  name: string,
  over: Omit<Partial<ServiceSpec>, 'deploy'> & { deploy?: Partial<ServiceSpec['deploy']> } = {},
): ServiceSpec {
  const update = {
    parallelism: 1,
    delayNs: 0,
    failureAction: 'pause' as const,
    monitorNs: 5e9,
    maxFailureRatio: 0,
    order: 'stop-first' as const,
  };
  const { deploy, ...rest } = over;
  return {
    name,
    image: IMAGE,
    command: ['sleep', '3600'],
    environment: {},
    ports: [],
    expose: [],
    mounts: [],
    networks: { default: { aliases: [] } },
    restart: { name: 'no', maximumRetryCount: 0 },
    labels: {},
    dependsOn: {},
    capAdd: [],
    capDrop: [],
    privileged: false,
    readOnly: false,
    tmpfs: {},
    ulimits: {},
    sysctls: {},
    extraHosts: [],
    dns: [],
    dnsSearch: [],
    dnsOpt: [],
    resources: {},
    secrets: [],
    configs: [],
    pullPolicy: 'missing',
    ...rest,
    deploy: {
      mode: 'replicated',
      replicas: 1,
      constraints: [],
      updateConfig: update,
      rollbackConfig: update,
      ...deploy,
    },
  };
}

export function network(key: string, stack = 'app', over: Partial<NetworkSpec> = {}): NetworkSpec {
  return {
    key,
    name: `${stack}_${key}`,
    driver: 'bridge',
    driverOpts: {},
    internal: false,
    attachable: false,
    external: false,
    labels: {},
    ...over,
  };
}

export function hosts(n = 3, labels: (i: number) => Record<string, string> = () => ({})): HostSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `h${i + 1}`,
    endpoint: endpointOf(`unix:///run/h${i + 1}.sock`),
    labels: labels(i + 1),
  }));
}

export function desired(services: ServiceSpec[], over: DeepPartial<DesiredState> = {}): DesiredState {
  const name = (over.name as string) ?? 'app';
  return {
    name,
    workingDir: '/work',
    files: ['/work/stack.yaml'],
    hosts: hosts(),
    hostsSource: 'inventory',
    settings: { hostConcurrency: 4, globalConcurrency: 16, overlay: 'auto' },
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    networks: { default: network('default', name) },
    volumes: {},
    secrets: {},
    configs: {},
    ...(over as Partial<DesiredState>),
  };
}

export const CLUSTER_STORE = 'etcd://10.77.0.2:2379';

/** Nothing of the stack on the hosts; every host's daemon on one cluster store (as in the sandbox). */
export function observedEmpty(d: DesiredState, digests: Record<string, string> = { [IMAGE]: DIGEST }): ObservedState {
  const o = emptyObserved(
    d.name,
    d.hosts.map((h) => h.name),
  );
  o.digests = { ...digests };
  for (const h of Object.values(o.hosts))
    h.engine = { clusterStore: CLUSTER_STORE, clusterAdvertise: `${h.name}:2376` };
  return o;
}

/** An operation's parameters, whatever its kind, for assertions on fields several kinds share. */
export const paramsOf = (op: Operation): Record<string, any> => op.params as Record<string, any>;

let seq = 0;
/** Applies a plan's operations to an observed state the way the daemons would (happy path). */
export function simulate(plan: Plan, before: ObservedState): ObservedState {
  const o: ObservedState = structuredClone(before);
  o.refreshed = false;
  for (const op of plan.operations) {
    const h = o.hosts[op.host];
    const p = op.params as any;
    const find = (name: string) => h.containers.find((c) => c.name === name);
    switch (op.kind) {
      case 'image.pull': {
        const { repo } = splitImageRef(p.image);
        const digest = o.digests[p.image];
        // A reference pinned by digest (`repo@sha256:…`) comes with that repo digest.
        const pinned = p.image.includes('@') ? [p.image] : [];
        h.images.push({ id: `img${++seq}`, repoTags: [p.image], repoDigests: digest ? [`${repo}@${digest}`] : pinned });
        break;
      }
      case 'network.create': {
        const body = p.body;
        const targets = body.Driver === 'overlay' ? Object.values(o.hosts) : [h];
        const id = `net${++seq}`;
        const subnets = (body.IPAM?.Config ?? []).map((c: any) => ({ Subnet: c.Subnet }));
        for (const t of targets)
          t.networks.push(
            parseNetwork({
              Id: id,
              Name: body.Name,
              Driver: body.Driver,
              Scope: body.Driver === 'overlay' ? 'global' : 'local',
              Labels: body.Labels,
              IPAM: { Config: subnets },
            }),
          );
        break;
      }
      case 'network.remove':
        for (const t of Object.values(o.hosts))
          t.networks = t.networks.filter((n) => n.name !== p.name || (n.scope !== 'global' && t !== h));
        break;
      case 'volume.create':
        h.volumes.push({
          name: p.body.Name,
          driver: 'local',
          key: p.body.Labels[Labels.volume],
          contentHash: p.body.Labels[Labels.contentHash],
          labels: p.body.Labels,
        });
        break;
      case 'volume.remove':
        h.volumes = h.volumes.filter((v) => v.name !== p.name);
        break;
      case 'container.create': {
        const body = p.body;
        const mounts = (body.HostConfig?.Mounts ?? []).map((m: any) => ({
          Type: m.Type,
          Name: m.Type === 'volume' ? m.Source || `${String(++seq).padStart(64, 'a')}` : undefined,
          Destination: m.Target,
        }));
        // volumes_from as the Engine does it, once at create: the source's mounts, under the container's own.
        for (const entry of (body.HostConfig?.VolumesFrom ?? []) as string[]) {
          const source = [...h.containers, ...(h.foreignContainers ?? [])].find((x) => x.name === entry.split(':')[0]);
          for (const m of source?.mounts ?? [])
            if (!mounts.some((x: any) => x.Destination === m.destination))
              mounts.push({ Type: m.type, Name: m.name, Destination: m.destination });
        }
        const c: ObservedContainer = parseContainer(op.host, {
          Id: `c${++seq}`,
          Names: [`/${p.name}`],
          Labels: body.Labels,
          State: 'created',
          Status: 'Created',
          Mounts: mounts,
          NetworkSettings: { Networks: body.NetworkingConfig?.EndpointsConfig ?? {} },
        });
        h.containers.push(c);
        break;
      }
      case 'network.connect':
        find(p.container)!.networks.push(p.network);
        break;
      case 'network.disconnect': {
        const c = find(p.container)!;
        c.networks = c.networks.filter((n) => n !== p.network);
        break;
      }
      case 'container.start': {
        const c = find(p.name)!;
        c.state = 'running';
        if ((c.config as any)?.healthcheck) c.health = 'healthy';
        break;
      }
      case 'container.stop':
        find(p.name)!.state = 'exited';
        break;
      case 'container.remove':
        h.containers = h.containers.filter((c) => c.name !== p.name);
        break;
      case 'container.rename': {
        // observe derives the role from the name when it is not a label (`_kept`)
        const c = find(p.name)!;
        const again = parseContainer(op.host, { Id: c.id, Names: [`/${p.newName}`], Labels: c.labels });
        c.name = again.name;
        c.role = again.role;
        break;
      }
      default:
        break;
    }
  }
  return o;
}
