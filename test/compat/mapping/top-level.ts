/**
 * The mapping table of top-level networks, volumes, secrets and configs: compose-go's project JSON against stack's
 * NetworkSpec, VolumeSpec and FileObjectSpec.
 */
import type { FileObjectSpec, NetworkSpec, VolumeSpec } from '../../../src/stack/types.js';
import type { FieldMapping } from './types.js';
import { defined, list, obj, type Json } from './values.js';

function field<S>(key: string, get: (s: S) => unknown, absent?: unknown): FieldMapping<S> {
  return { key, compose: (c) => c[key] ?? absent, stack: get };
}

function ipam(c: Json): unknown {
  const i = obj(c.ipam);
  if (i.driver === undefined && i.options === undefined && i.config === undefined) return undefined;
  return defined({
    driver: i.driver,
    options: i.options,
    config: list(i.config).map((e) => {
      const entry = obj(e);
      return defined({
        subnet: entry.subnet,
        gateway: entry.gateway,
        ipRange: entry.ip_range,
        auxAddresses: entry.aux_addresses,
      });
    }),
  });
}

export const NETWORK_FIELDS: readonly FieldMapping<NetworkSpec>[] = [
  field('name', (n) => n.name),
  field('driver', (n) => n.driver),
  field('driver_opts', (n) => n.driverOpts, {}),
  {
    key: 'ipam',
    compose: ipam,
    stack: (n) => n.ipam && defined({ ...n.ipam, config: n.ipam.config.map((e) => defined({ ...e })) }),
  },
  field('enable_ipv6', (n) => n.enableIpv6),
  field('internal', (n) => n.internal, false),
  field('attachable', (n) => n.attachable, false),
  field('external', (n) => n.external, false),
  field('labels', (n) => n.labels, {}),
];

export const VOLUME_FIELDS: readonly FieldMapping<VolumeSpec>[] = [
  field('name', (v) => v.name),
  field('driver', (v) => v.driver, 'local'),
  field('driver_opts', (v) => v.driverOpts, {}),
  field('external', (v) => v.external, false),
  field('labels', (v) => v.labels, {}),
];

export const FILE_OBJECT_FIELDS: readonly FieldMapping<FileObjectSpec>[] = [
  field('name', (o) => o.name),
  field('external', (o) => o.external, false),
];
