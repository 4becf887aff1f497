/**
 * Which Docker daemons a stack goes to. Precedence: `-i FILE` (inventory) > `x-stack.hosts` > DOCKER_HOST
 * (with DOCKER_TLS_VERIFY / DOCKER_CERT_PATH) > the local socket.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { HostSpec, HostsSource } from './types.js';
import { isRecord, type KeyPath } from './key-path.js';
import type { Problems } from './problems.js';

export const LOCAL_SOCKET = 'unix:///var/run/docker.sock';
export const LOCAL_SOCKET_PATH = '/var/run/docker.sock';

export interface ResolvedHosts {
  hosts: HostSpec[];
  source: HostsSource;
}

/**
 * Reads a `hosts:` map (inventory or x-stack) already checked against the schema. TLS paths are resolved
 * against `baseDir`; missing TLS files are errors located at `path` in `root`.
 */
export function readHostMap(
  value: Record<string, unknown>,
  baseDir: string,
  problems: Problems,
  at: { root: unknown; path: KeyPath },
): HostSpec[] {
  const hosts: HostSpec[] = [];
  for (const name of Object.keys(value).sort()) {
    const entry = value[name];
    if (!isRecord(entry) || typeof entry.endpoint !== 'string') continue;
    const host: HostSpec = { name, endpoint: entry.endpoint, labels: stringMap(entry.labels) };
    if (isRecord(entry.tls)) {
      const tls = { ca: '', cert: '', key: '' };
      for (const part of ['ca', 'cert', 'key'] as const) {
        const file = path.resolve(baseDir, String(entry.tls[part]));
        if (!existsSync(file)) {
          problems.error([...at.path, name, 'tls', part], `TLS ${part} file ${file} does not exist`, { in: at.root });
        }
        tls[part] = file;
      }
      host.tls = tls;
    }
    if (host.endpoint.startsWith('tcp://') && !host.tls) {
      problems.warning([...at.path, name, 'endpoint'], `host ${name} is reached over plain tcp without TLS`, {
        in: at.root,
        hint: 'add tls: { ca, cert, key } unless this is a closed test network',
      });
    }
    hosts.push(host);
  }
  return hosts;
}

/** One host from DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, or undefined when DOCKER_HOST is unset. */
export function hostFromDockerEnv(env: Record<string, string | undefined>, problems: Problems): HostSpec | undefined {
  const endpoint = env.DOCKER_HOST;
  if (!endpoint) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    problems.add({ severity: 'error', summary: `DOCKER_HOST="${endpoint}" is not a valid address`, hint: 'use unix:///path/to/docker.sock or tcp://HOST:PORT' });
    return undefined;
  }
  if (url.protocol !== 'unix:' && url.protocol !== 'tcp:') {
    problems.add({ severity: 'error', summary: `DOCKER_HOST="${endpoint}": only unix:// and tcp:// endpoints are supported`, hint: 'for a remote daemon over SSH, forward its socket and point DOCKER_HOST at the local end' });
    return undefined;
  }
  const name = url.protocol === 'tcp:' && url.hostname ? url.hostname : 'default';
  const host: HostSpec = { name, endpoint, labels: {} };
  const verify = env.DOCKER_TLS_VERIFY;
  if (url.protocol === 'tcp:' && verify && verify !== '0' && verify.toLowerCase() !== 'false') {
    const dir = env.DOCKER_CERT_PATH || path.join(env.HOME ?? '', '.docker');
    host.tls = { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
    for (const file of Object.values(host.tls)) {
      if (!existsSync(file)) problems.add({ severity: 'error', summary: `DOCKER_TLS_VERIFY is set but ${file} does not exist`, hint: 'set DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem' });
    }
  }
  return host;
}

export function localHost(): HostSpec {
  return { name: 'local', endpoint: LOCAL_SOCKET, labels: {} };
}

export function stringMap(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      const text = String(item);
      const eq = text.indexOf('=');
      if (eq < 0) result[text] = '';
      else result[text.slice(0, eq)] = text.slice(eq + 1);
    }
  } else if (isRecord(value)) {
    for (const [key, v] of Object.entries(value)) result[key] = v === null || v === undefined ? '' : String(v);
  }
  return sortKeys(result);
}

export function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  const sorted: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) sorted[key] = record[key];
  return sorted;
}
