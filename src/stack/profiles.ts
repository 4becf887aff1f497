/**
 * Profiles: a service with `profiles:` runs only when one of them is active (`--profile`, else COMPOSE_PROFILES,
 * comma-separated; `*` enables all). Services without profiles always run. Disabled services are removed.
 */
import { isRecord } from './key-path.js';

export function activeProfiles(flags: string[] | undefined, env: Record<string, string | undefined>): Set<string> {
  const list = flags?.length ? flags : (env.COMPOSE_PROFILES ?? '').split(',');
  return new Set(list.map((p) => p.trim()).filter(Boolean));
}

/** Removes services whose profiles are all inactive; returns their names. */
export function applyProfiles(root: Record<string, unknown>, active: ReadonlySet<string>): Set<string> {
  const disabled = new Set<string>();
  const services = root.services;
  if (!isRecord(services)) return disabled;
  for (const [name, service] of Object.entries(services)) {
    if (!isRecord(service) || !Array.isArray(service.profiles) || !service.profiles.length) continue;
    const enabled = active.has('*') || service.profiles.some((p) => active.has(String(p)));
    if (!enabled) {
      disabled.add(name);
      delete services[name];
    } else delete service.profiles;
  }
  for (const service of Object.values(services)) if (isRecord(service)) delete service.profiles;
  return disabled;
}
