/**
 * What each host's Engine API allows, decided at plan time from the observed, negotiated API version (pure):
 * whether a container takes all its networks at create (API 1.44), and which keys of the stack file need a
 * newer API than a host speaks — refused before any write, naming the host, the key and the version it needs
 * (an older daemon would silently ignore the field it does not know).
 */
import type { ObservedHost } from '../observe/types.js';
import { MIN_API, apiAtLeast, describeApi, formatApiVersion, type ApiVersion } from '../docker/api-version.js';
import { error, type Diagnostic } from '../errors.js';
import type { DesiredState } from '../stack/types.js';
import { IFNAME_OPTION } from './engine.js';
import type { ContainerCreateBody, Operation } from './types.js';

/** API 1.44 (Engine 25) takes every endpoint in the create's NetworkingConfig; older ones take one. */
export const ALL_NETWORKS_AT_CREATE: ApiVersion = { major: 1, minor: 44 };

/** The API version stack speaks to the host: the oldest it supports when none was observed. */
export function hostApi(obs: ObservedHost | undefined): ApiVersion {
  return obs?.version?.api ?? MIN_API;
}

/** A key of a service that needs a newer API, found in a container's create body or a connect's endpoint. */
interface NewerKey {
  /** The key path under `services.<name>.`, as the stack file writes it (`volumes[0].volume.subpath`). */
  key: string;
  api: ApiVersion;
}

/** How a body's names lead back to the stack file's keys, for one service. */
interface KeyNames {
  /** A network's key from its engine name. */
  network: (name: string) => string;
  /** The index of a mount under the service's `volumes:` from its target. */
  mount: (target: string | undefined) => number;
}

type Endpoint = { GwPriority?: unknown; MacAddress?: unknown; DriverOpts?: Record<string, unknown> };
type Mount = { Target?: string; VolumeOptions?: { Subpath?: unknown } };

/** The newer-API keys a create body uses: healthcheck.start_interval, volume.subpath and the endpoints' keys. */
function keysOfCreate(body: ContainerCreateBody, names: KeyNames): NewerKey[] {
  const out: NewerKey[] = [];
  if ((body.Healthcheck as { StartInterval?: unknown } | undefined)?.StartInterval !== undefined)
    out.push({ key: 'healthcheck.start_interval', api: { major: 1, minor: 44 } });
  for (const m of (body.HostConfig?.Mounts ?? []) as Mount[])
    if (m.VolumeOptions?.Subpath !== undefined)
      out.push({ key: `volumes[${names.mount(m.Target)}].volume.subpath`, api: { major: 1, minor: 45 } });
  for (const [net, e] of Object.entries(body.NetworkingConfig?.EndpointsConfig ?? {}))
    out.push(...keysOfEndpoint(net, e, names));
  return out;
}

/** networks.<net>.gw_priority (API 1.48), .mac_address (API 1.44) and .interface_name (API 1.49). */
function keysOfEndpoint(net: string, e: Endpoint, names: KeyNames): NewerKey[] {
  const key = (name: string, minor: number): NewerKey => ({
    key: `networks.${names.network(net)}.${name}`,
    api: { major: 1, minor },
  });
  return [
    ...(e.GwPriority !== undefined ? [key('gw_priority', 48)] : []),
    ...(e.MacAddress !== undefined ? [key('mac_address', 44)] : []),
    ...(e.DriverOpts?.[IFNAME_OPTION] !== undefined ? [key('interface_name', 49)] : []),
  ];
}

function keyNames(desired: DesiredState, service: string): KeyNames {
  return {
    network: (name) => Object.values(desired.networks).find((n) => n.name === name)?.key ?? name,
    mount: (target) => desired.services[service]?.mounts.findIndex((m) => m.target === target) ?? -1,
  };
}

/** The service an op belongs to (`service:web:1` → `web`), if it is a service's. */
function serviceOf(op: Operation): string | undefined {
  const m = /^service:([^:]+):/.exec(op.resource);
  return m?.[1];
}

/**
 * Every container create and network connect the plan sends, checked against its host's API: one error per
 * service, key and version needed, naming the hosts that speak an older one.
 */
export function newerApiProblems(
  desired: DesiredState,
  hosts: Readonly<Record<string, ObservedHost>>,
  ops: readonly Operation[],
): Diagnostic[] {
  const refused = new Map<string, { service: string; k: NewerKey; hosts: Set<string> }>();
  for (const op of ops) {
    const service = serviceOf(op);
    if (!service) continue;
    const names = keyNames(desired, service);
    const keys =
      op.kind === 'container.create'
        ? keysOfCreate(op.params.body, names)
        : op.kind === 'network.connect'
          ? keysOfEndpoint(op.params.network, op.params.body.EndpointConfig, names)
          : [];
    const api = hostApi(hosts[op.host]);
    for (const k of keys) {
      if (apiAtLeast(api, k.api)) continue;
      const id = `${service}\0${k.key}`;
      const entry = refused.get(id) ?? { service, k, hosts: new Set<string>() };
      entry.hosts.add(`${op.host} (API ${formatApiVersion(api)})`);
      refused.set(id, entry);
    }
  }
  return [...refused.values()].map(({ service, k, hosts: on }) =>
    error(
      `service ${service}: ${k.key} needs ${describeApi(k.api)} or newer; ${[...on].join(', ')} speak${on.size > 1 ? '' : 's'} an older one`,
      { path: `services.${service}.${k.key}` },
      `upgrade the Engine on ${on.size > 1 ? 'those hosts' : 'that host'}, keep the service off ${on.size > 1 ? 'them' : 'it'} (deploy.placement.constraints), or remove the key`,
    ),
  );
}
