/**
 * Registry credentials from a Docker config file (`DOCKER_CONFIG/config.json`, default ~/.docker/config.json).
 * The CLI says which file (it alone reads the environment); the pipeline gives them only to the operator's hosts
 * (hosts.ts, operatorHosts): never to hosts a stack file chose.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AuthConfig {
  username: string;
  password: string;
  serveraddress: string;
}

/** Credentials for a registry host (`10.77.0.2:5001`, `docker.io`), or undefined. */
export type RegistryCredentials = (registry: string) => AuthConfig | undefined;

/** The Docker config file: DOCKER_CONFIG's `config.json`, else `home`/.docker/config.json (the docker CLI's rule). */
export function dockerConfigPath(env: Record<string, string | undefined>, home: string): string {
  return join(env.DOCKER_CONFIG || join(home, '.docker'), 'config.json');
}

function hostOf(key: string): string {
  return key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

/** Credentials from a Docker config file, read at each call (absent or unreadable: none). Credential helpers are not supported. */
export function dockerConfigCredentials(configFile: string): RegistryCredentials {
  return (registry) => registryAuth(registry, configFile);
}

function registryAuth(registry: string, configFile: string): AuthConfig | undefined {
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    config = JSON.parse(readFileSync(configFile, 'utf8')) as typeof config;
  } catch {
    return undefined;
  }
  const wanted = registry === 'docker.io' ? ['docker.io', 'index.docker.io', 'registry-1.docker.io'] : [registry];
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    if (!wanted.includes(hostOf(key))) continue;
    let { username, password } = entry;
    if (entry.auth) {
      const text = Buffer.from(entry.auth, 'base64').toString('utf8');
      const i = text.indexOf(':');
      username = text.slice(0, i);
      password = text.slice(i + 1);
    }
    if (username !== undefined && password !== undefined) return { username, password, serveraddress: key };
  }
  return undefined;
}
