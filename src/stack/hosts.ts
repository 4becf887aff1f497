/**
 * Which Docker daemons a stack goes to, each endpoint parsed once (endpoint.ts). Precedence: `-i FILE`
 * (inventory) > DOCKER_HOST (with DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, the docker CLI's rules) > `x-stack.hosts`
 * > the local socket. The inventory and the environment are the operator's; the stack file is the application's.
 * tcp:// without TLS is refused unless the operator allows it for that host (`tls: false`, or --allow-insecure-tcp
 * for DOCKER_HOST), and then warned; TLS files are checked before anything opens them (tls-files.ts).
 */
import os from 'node:os';
import path from 'node:path';
import type { HostSpec, HostsSource, TlsFiles } from './types.js';
import { DEFAULT_UNIX_SOCKET, formatEndpoint, parseEndpoint, type Endpoint, type EndpointAddress } from './endpoint.js';
import { isRecord, scalarText, type KeyPath } from './key-path.js';
import type { Problems } from './problems.js';
import { checkTlsFile, type TlsPart } from './tls-files.js';

export const LOCAL_SOCKET_PATH = DEFAULT_UNIX_SOCKET;

export interface ResolvedHosts {
  hosts: HostSpec[];
  source: HostsSource;
}

/** Did the operator (not the stack file) choose these hosts? Registry credentials go only to those. */
export function operatorHosts(source: HostsSource): boolean {
  switch (source) {
    case 'inventory':
    case 'DOCKER_HOST':
    case 'local-socket':
    case 'sandbox':
      return true;
    case 'x-stack.hosts':
      return false;
    default:
      return assertNever(source);
  }
}

export interface HostMapPolicy {
  /** TLS paths resolve against this folder. */
  baseDir: string;
  /** Files must resolve inside this folder after symlinks (x-stack.hosts: the project folder); absent: anywhere. */
  confineTo?: string;
}

/** Where a host map is, for messages: the tree it is in and its key path there. */
export interface HostMapAt {
  root: unknown;
  path: KeyPath;
}

/**
 * Reads a `hosts:` map (inventory or x-stack) already checked against the schema. Each endpoint is parsed and
 * each TLS file checked; problems are located at `path` in `root`.
 */
export function readHostMap(
  value: Record<string, unknown>,
  policy: HostMapPolicy,
  problems: Problems,
  at: HostMapAt,
): HostSpec[] {
  const hosts: HostSpec[] = [];
  for (const name of Object.keys(value).sort()) {
    const entry = value[name];
    if (!isRecord(entry) || typeof entry.endpoint !== 'string') continue;
    const here = [...at.path, name];
    const parsed = parseEndpoint(entry.endpoint);
    if (!parsed.ok) {
      problems.error([...here, 'endpoint'], `host ${name}: ${parsed.error}`, { in: at.root, hint: parsed.hint });
      continue;
    }
    const endpoint = withTls(name, parsed.address, entry.tls, policy, problems, { root: at.root, path: here });
    if (endpoint) hosts.push({ name, endpoint, labels: stringMap(entry.labels) });
  }
  return hosts;
}

/** The endpoint with its TLS setting: files checked, `tls: false` warned, a tcp host without `tls:` refused. */
function withTls(
  name: string,
  address: EndpointAddress,
  tls: unknown,
  policy: HostMapPolicy,
  problems: Problems,
  at: HostMapAt,
): Endpoint | undefined {
  if (address.kind === 'unix') {
    if (tls !== undefined)
      problems.error([...at.path, 'tls'], `host ${name}: tls applies to tcp:// endpoints only, not to a unix socket`, {
        in: at.root,
        hint: 'remove tls:',
      });
    return address;
  }
  if (tls === false) {
    problems.warning(
      [...at.path, 'tls'],
      `host ${name} is reached over plain tcp without TLS (tls: false): anyone on the way can read and change what stack sends, and whoever reaches ${formatEndpoint(address)} is root on the host`,
      { in: at.root },
    );
    return { ...address, tls: false };
  }
  if (!isRecord(tls)) {
    problems.error([...at.path, 'endpoint'], `host ${name}: ${formatEndpoint(address)} without TLS is refused`, {
      in: at.root,
      hint: "add tls: { ca, cert, key } (the client's PEM files), or tls: false to accept plain tcp on a network you trust",
    });
    return undefined;
  }
  const files = { ca: '', cert: '', key: '' };
  let ok = true;
  for (const part of ['ca', 'cert', 'key'] as const) {
    files[part] = path.resolve(policy.baseDir, String(tls[part]));
    const problem = checkTlsFile(files[part], part, policy.confineTo);
    if (problem) {
      problems.error([...at.path, 'tls', part], problem.summary, { in: at.root, hint: problem.hint });
      ok = false;
    }
  }
  return ok ? { ...address, tls: files } : undefined;
}

export interface DockerEnvPolicy {
  /** --allow-insecure-tcp: a tcp:// DOCKER_HOST without DOCKER_TLS_VERIFY is accepted (with a warning). */
  allowInsecureTcp?: boolean;
}

/**
 * One host from DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, or undefined when DOCKER_HOST is unset or
 * empty. The docker CLI's rules: any non-empty DOCKER_TLS_VERIFY means TLS with the daemon's certificate
 * verified, the files ca.pem, cert.pem and key.pem in DOCKER_CERT_PATH (default ~/.docker); TLS does not apply to
 * a unix socket. DOCKER_TLS alone (TLS without verifying the daemon) is refused: set DOCKER_TLS_VERIFY.
 */
export function hostFromDockerEnv(
  env: Record<string, string | undefined>,
  problems: Problems,
  policy: DockerEnvPolicy = {},
): HostSpec | undefined {
  const text = env.DOCKER_HOST;
  if (!text) return undefined;
  const parsed = parseEndpoint(text);
  if (!parsed.ok) {
    problems.add({ severity: 'error', summary: `DOCKER_HOST="${text}": ${parsed.error}`, hint: parsed.hint });
    return undefined;
  }
  const address = parsed.address;
  if (address.kind === 'unix') return { name: 'default', endpoint: address, labels: {} };
  const name = address.host;
  if (env.DOCKER_TLS_VERIFY) {
    const tls = dockerEnvTls(env, problems);
    return tls ? { name, endpoint: { ...address, tls }, labels: {} } : undefined;
  }
  if (env.DOCKER_TLS) {
    problems.add({
      severity: 'error',
      summary: `DOCKER_TLS is set without DOCKER_TLS_VERIFY: TLS without verifying the daemon's certificate is not supported`,
      hint: 'set DOCKER_TLS_VERIFY=1 (with DOCKER_CERT_PATH holding ca.pem, cert.pem and key.pem)',
    });
    return undefined;
  }
  const where = formatEndpoint(address);
  if (!policy.allowInsecureTcp) {
    problems.add({
      severity: 'error',
      summary: `DOCKER_HOST=${where} without TLS is refused: whoever reaches that port is root on the host`,
      hint: "set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (the client's ca.pem, cert.pem, key.pem), or pass --allow-insecure-tcp on a network you trust",
    });
    return undefined;
  }
  problems.add({
    severity: 'warning',
    summary: `DOCKER_HOST=${where} is reached over plain tcp without TLS (--allow-insecure-tcp)`,
  });
  return { name, endpoint: { ...address, tls: false }, labels: {} };
}

function dockerEnvTls(env: Record<string, string | undefined>, problems: Problems): TlsFiles | undefined {
  const dir = env.DOCKER_CERT_PATH || path.join(env.HOME || os.homedir(), '.docker');
  const files: TlsFiles = {
    ca: path.join(dir, 'ca.pem'),
    cert: path.join(dir, 'cert.pem'),
    key: path.join(dir, 'key.pem'),
  };
  let ok = true;
  for (const part of ['ca', 'cert', 'key'] as TlsPart[]) {
    const problem = checkTlsFile(files[part], part);
    if (problem) {
      ok = false;
      problems.add({
        severity: 'error',
        summary: `DOCKER_TLS_VERIFY is set: ${problem.summary}`,
        hint: problem.summary.includes('does not exist')
          ? 'set DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem'
          : problem.hint,
      });
    }
  }
  return ok ? files : undefined;
}

export function localHost(): HostSpec {
  return { name: 'local', endpoint: { kind: 'unix', path: LOCAL_SOCKET_PATH }, labels: {} };
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
    for (const [key, v] of Object.entries(value)) result[key] = v === null || v === undefined ? '' : scalarText(v);
  }
  return sortKeys(result);
}

export function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  const sorted: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) sorted[key] = record[key];
  return sorted;
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
