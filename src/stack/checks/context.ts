/** What the cross-service checks see: the normalised services, the hosts, and the raw tree for locating problems. */
import type { StackLimits } from '../options.js';
import type { HostSpec, ServiceSpec } from '../types.js';
import { isRecord } from '../key-path.js';
import type { Problems } from '../problems.js';

export interface CheckContext {
  services: Record<string, ServiceSpec>;
  hosts: HostSpec[];
  /** Services left out by the active profiles. */
  disabledServices: ReadonlySet<string>;
  problems: Problems;
  /** Caps on replicas and containers (checks/limits.ts). */
  limits: StackLimits;
}

/** The raw value of a service key in the merged tree (for finding list indexes). */
export function rawServiceValue(problems: Problems, service: string, key: string): unknown {
  const root = problems.root;
  if (!isRecord(root) || !isRecord(root.services)) return undefined;
  const raw = root.services[service];
  return isRecord(raw) ? raw[key] : undefined;
}
