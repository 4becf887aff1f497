/**
 * How the daemon runs a service's container: its cgroup namespace and parent, its OCI runtime and storage driver
 * options. Only what the file sets; the schema has checked the shapes (and refused every `isolation` but `default`,
 * which on the Linux daemons stack deploys to is what the daemon does anyway, so it is not carried).
 */
import type { ServiceSpec } from '../types.js';
import { stringMap } from '../hosts.js';

export function runtimeKeys(spec: ServiceSpec, service: Record<string, unknown>): void {
  if (service.cgroup === 'host' || service.cgroup === 'private') spec.cgroup = service.cgroup;
  if (typeof service.cgroup_parent === 'string' && service.cgroup_parent) spec.cgroupParent = service.cgroup_parent;
  if (typeof service.runtime === 'string' && service.runtime) spec.runtime = service.runtime;
  const storageOpt = stringMap(service.storage_opt);
  if (Object.keys(storageOpt).length) spec.storageOpt = storageOpt;
}
