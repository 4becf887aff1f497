/**
 * Top-level networks and volumes. Names on the daemons are `<stack>_<key>` unless `name:` is given (external
 * objects keep their key). External objects are not created by stack, so driver settings next to
 * `external: true` are refused. The `default` network exists implicitly when a service uses it.
 */
import path from 'node:path';
import type { NetworkSpec, VolumeSpec } from '../types.js';
import { isRecord } from '../key-path.js';
import { sortKeys, stringMap } from '../hosts.js';
import type { NormaliseContext } from './context.js';

const NETWORK_CREATE_KEYS = ['driver', 'driver_opts', 'ipam', 'internal', 'attachable', 'labels', 'enable_ipv6'];
const VOLUME_CREATE_KEYS = ['driver', 'driver_opts', 'labels'];

export function normaliseNetworks(
  value: unknown,
  usesDefault: boolean,
  context: NormaliseContext,
): Record<string, NetworkSpec> {
  const networks: Record<string, NetworkSpec> = {};
  const declared = isRecord(value) ? value : {};
  for (const [key, raw] of Object.entries(declared)) {
    const spec = isRecord(raw) ? raw : {};
    const external = spec.external === true;
    if (external) refuseCreateKeys(spec, ['networks', key], NETWORK_CREATE_KEYS, context);
    const network: NetworkSpec = {
      key,
      name: typeof spec.name === 'string' ? spec.name : external ? key : `${context.stackName}_${key}`,
      driver: typeof spec.driver === 'string' ? spec.driver : external ? '' : context.defaultNetworkDriver,
      driverOpts: stringMap(spec.driver_opts),
      internal: spec.internal === true,
      attachable: spec.attachable === true,
      external,
      labels: stringMap(spec.labels),
    };
    if (isRecord(spec.ipam)) {
      const configs = Array.isArray(spec.ipam.config) ? spec.ipam.config.filter(isRecord) : [];
      network.ipam = {
        ...(typeof spec.ipam.driver === 'string' ? { driver: spec.ipam.driver } : {}),
        config: configs.map((c) => ({
          ...(typeof c.subnet === 'string' ? { subnet: c.subnet } : {}),
          ...(typeof c.gateway === 'string' ? { gateway: c.gateway } : {}),
          ...(typeof c.ip_range === 'string' ? { ipRange: c.ip_range } : {}),
          ...(isRecord(c.aux_addresses) ? { auxAddresses: stringMap(c.aux_addresses) } : {}),
        })),
        ...(isRecord(spec.ipam.options) ? { options: stringMap(spec.ipam.options) } : {}),
      };
    }
    if (spec.enable_ipv6 === true) network.enableIpv6 = true;
    networks[key] = network;
  }
  if (usesDefault && !networks.default) {
    networks.default = {
      key: 'default',
      name: `${context.stackName}_default`,
      driver: context.defaultNetworkDriver,
      driverOpts: {},
      internal: false,
      attachable: false,
      external: false,
      labels: {},
    };
  }
  return sortKeys(networks);
}

export function normaliseVolumes(value: unknown, context: NormaliseContext): Record<string, VolumeSpec> {
  const volumes: Record<string, VolumeSpec> = {};
  const declared = isRecord(value) ? value : {};
  for (const [key, raw] of Object.entries(declared)) {
    const spec = isRecord(raw) ? raw : {};
    const external = spec.external === true;
    if (external) refuseCreateKeys(spec, ['volumes', key], VOLUME_CREATE_KEYS, context);
    volumes[key] = {
      key,
      name: typeof spec.name === 'string' ? spec.name : external ? key : `${context.stackName}_${key}`,
      driver: typeof spec.driver === 'string' ? spec.driver : 'local',
      driverOpts: bindDevice(stringMap(spec.driver_opts), context),
      external,
      labels: stringMap(spec.labels),
    };
  }
  return sortKeys(volumes);
}

/**
 * A volume whose options bind a host folder (`o: bind`, or `rbind` — one more than Compose) has its `device:`
 * resolved as Compose resolves it: `~` is HOME, a relative path is under the project folder.
 */
function bindDevice(opts: Record<string, string>, context: NormaliseContext): Record<string, string> {
  const flags = (opts.o ?? '').split(',').map((f) => f.trim());
  if (!opts.device || !(flags.includes('bind') || flags.includes('rbind'))) return opts;
  const device = opts.device;
  const home = context.lookup('HOME');
  const resolved =
    (device === '~' || device.startsWith('~/')) && home
      ? path.join(home, device.slice(1))
      : path.resolve(context.workingDir, device);
  return { ...opts, device: resolved };
}

function refuseCreateKeys(
  spec: Record<string, unknown>,
  at: string[],
  keys: string[],
  context: NormaliseContext,
): void {
  for (const key of keys) {
    if (spec[key] === undefined) continue;
    context.problems.error(
      [...at, key],
      `${key} cannot be set on an external ${at[0] === 'networks' ? 'network' : 'volume'}`,
      {
        atKey: true,
        hint: 'stack does not create external objects, so their settings would be ignored; remove it or drop external: true',
      },
    );
  }
}
