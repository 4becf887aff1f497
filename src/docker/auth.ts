/** Registry credentials from the Docker config file (DOCKER_CONFIG or ~/.docker/config.json). */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface AuthConfig {
  username: string;
  password: string;
  serveraddress: string;
}

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

function hostOf(key: string): string {
  return key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

/** Credentials for a registry host (`10.77.0.2:5001`, `docker.io`), or undefined. Credential helpers are not supported. */
export function registryAuth(registry: string, env: NodeJS.ProcessEnv = process.env): AuthConfig | undefined {
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    config = JSON.parse(readFileSync(dockerConfigPath(env), 'utf8'));
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
