/**
 * The inventory's `registries:` — the operator's registry credentials, by registry host:
 *
 *   registries:
 *     "10.77.0.2:5001": { username: stack, password_env: REGISTRY_PASSWORD }   # from the operator's environment
 *     ghcr.io: { username: me, password: "…" }                                 # as written (keep the file private)
 *
 * Exactly one of password / password_env. Passwords become Sensitive at once: never printed, never in a revision.
 * They win over the Docker config file's credentials (src/docker/auth.ts). Already checked against the schema.
 */
import { Sensitive } from '../sensitive.js';
import { isRecord } from './key-path.js';
import type { Problems } from './problems.js';
import type { InventoryRegistryAuth } from './types.js';

export function readRegistryAuth(
  value: unknown,
  env: Record<string, string | undefined>,
  problems: Problems,
  root: unknown,
): Record<string, InventoryRegistryAuth> | undefined {
  if (!isRecord(value)) return undefined;
  const result: Record<string, InventoryRegistryAuth> = {};
  for (const registry of Object.keys(value).sort()) {
    const entry = value[registry] as { username: string; password?: string; password_env?: string };
    const at = ['registries', registry];
    if ((entry.password === undefined) === (entry.password_env === undefined)) {
      problems.error(at, `registry ${registry}: give exactly one of password: and password_env:`, {
        in: root,
        atKey: true,
        hint: 'password_env: NAME reads the password from the environment variable NAME (best in CI)',
      });
      continue;
    }
    const password = entry.password ?? env[entry.password_env!];
    if (!password) {
      problems.error(
        [...at, 'password_env'],
        `registry ${registry}: the environment variable ${entry.password_env} is not set`,
        {
          in: root,
          hint: `export ${entry.password_env}=… (the registry's password or token) before running stack`,
        },
      );
      continue;
    }
    result[registry] = { username: entry.username, password: Sensitive.of(password) };
  }
  return Object.keys(result).length ? result : undefined;
}
