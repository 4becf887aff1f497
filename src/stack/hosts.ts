/**
 * Which Docker daemons a stack goes to, each endpoint parsed once (endpoint.ts). Precedence: `-i FILE`
 * (inventory) > DOCKER_HOST (with DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, the docker CLI's rules) > `x-stack.hosts`
 * > the local socket. The inventory and the environment are the operator's; the stack file is the application's.
 * tcp:// without TLS is refused unless the operator allows it for that host (`tls: false`, or --allow-insecure-tcp
 * for DOCKER_HOST), and then warned; TLS files are checked before anything opens them (tls-files.ts).
 * ssh:// endpoints come from the operator only (the inventory or DOCKER_HOST; a stack file's x-stack.hosts may not
 * name one: it would choose where the operator's keys and agent are offered); their user, identity, known_hosts
 * and agent are filled in here from the inventory and the operator's environment (SshDefaults).
 * A docker context (`context: NAME` in the inventory, or --context / DOCKER_CONTEXT / currentContext through
 * context-hosts.ts) gives its endpoint from the operator's context store (docker-context.ts): its TLS files for tcp,
 * the same SSH settings as an inventory's ssh:// endpoint for ssh.
 */
import os from 'node:os';
import path from 'node:path';
import type { HostSpec, HostsSource, TlsFiles } from './types.js';
import {
  DEFAULT_UNIX_SOCKET,
  formatEndpoint,
  parseEndpoint,
  type Endpoint,
  type EndpointAddress,
  type SshAddress,
  type SshEndpoint,
  type TcpEndpoint,
} from './endpoint.js';
import { existsSync } from 'node:fs';
import { isRecord, scalarText, type KeyPath } from './key-path.js';
import type { Problems } from './problems.js';
import { checkTlsFile, type TlsFileProblem, type TlsPart } from './tls-files.js';
import { DEFAULT_CONTEXT, readDockerContext } from './docker-context.js';

export const LOCAL_SOCKET_PATH = DEFAULT_UNIX_SOCKET;

export interface ResolvedHosts {
  hosts: HostSpec[];
  source: HostsSource;
}

/** Did the operator (not the stack file) choose these hosts? Registry credentials go only to those. */
export function operatorHosts(source: HostsSource): boolean {
  switch (source) {
    case 'inventory':
    case 'context':
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
  /** The operator's SSH defaults; absent (x-stack.hosts): ssh:// endpoints are refused. */
  ssh?: SshDefaults;
  /**
   * The docker CLI's configuration folder, whose context store `context: NAME` reads: the operator's inventory
   * only. Absent (x-stack.hosts): `context:` is refused — a stack file cannot pick the operator's contexts.
   */
  dockerConfigDir?: string;
}

/** What an ssh:// endpoint takes from the operator's environment when the inventory does not say. */
export interface SshDefaults {
  /** The login name when the endpoint names none (USER, LOGNAME, else the process's user). */
  user: string;
  /** The home folder: ~/.ssh/known_hosts and the default identities live there. */
  home: string;
  /** SSH_AUTH_SOCK. */
  agent?: string;
  /** The inventory's global `known_hosts:` (resolved), which a host's own wins over. */
  knownHosts?: string;
}

/** The SSH defaults of an environment (the CLI passes process.env). */
export function sshDefaults(env: Record<string, string | undefined>): SshDefaults {
  return {
    user: env.USER || env.LOGNAME || os.userInfo().username,
    home: env.HOME || os.homedir(),
    ...(env.SSH_AUTH_SOCK ? { agent: env.SSH_AUTH_SOCK } : {}),
  };
}

/** OpenSSH's default identities, in its order (the DSA and security-key ones left out). */
const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

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
    if (!isRecord(entry)) continue;
    const here = [...at.path, name];
    if (entry.context !== undefined || typeof entry.endpoint !== 'string') {
      const endpoint = contextHost(name, entry, policy, problems, { root: at.root, path: here });
      if (endpoint) hosts.push({ name, endpoint, labels: stringMap(entry.labels) });
      continue;
    }
    const parsed = parseEndpoint(entry.endpoint);
    if (!parsed.ok) {
      problems.error([...here, 'endpoint'], `host ${name}: ${parsed.error}`, { in: at.root, hint: parsed.hint });
      continue;
    }
    const endpoint = withSettings(name, parsed.address, entry, policy, problems, { root: at.root, path: here });
    if (endpoint) hosts.push({ name, endpoint, labels: stringMap(entry.labels) });
  }
  return hosts;
}

/** An inventory or x-stack address with the host entry's settings: SSH ones for ssh://, TLS ones otherwise. */
function withSettings(
  name: string,
  address: EndpointAddress,
  entry: Record<string, unknown>,
  policy: HostMapPolicy,
  problems: Problems,
  at: HostMapAt,
): Endpoint | undefined {
  return address.kind === 'ssh'
    ? withSsh(name, address, entry, policy, problems, at)
    : withTls(name, address, entry, policy, problems, at);
}

/**
 * A host given as `context: NAME` (inventory only): the context's endpoint from the operator's docker context
 * store. A tcp context's own TLS files are used (`tls: false` beside a context without them accepts plain tcp,
 * warned); an ssh one takes the entry's identity: and known_hosts: like an ssh:// endpoint.
 */
function contextHost(
  name: string,
  entry: Record<string, unknown>,
  policy: HostMapPolicy,
  problems: Problems,
  at: HostMapAt,
): Endpoint | undefined {
  const refuse = (key: string, summary: string, hint: string): undefined =>
    void problems.error([...at.path, key], `host ${name}: ${summary}`, { in: at.root, hint });
  if (typeof entry.context !== 'string')
    return refuse(
      'endpoint',
      'has neither endpoint: nor context:',
      'add endpoint: unix:///…, tcp://HOST:PORT or ssh://USER@HOST, or context: NAME (a docker context)',
    );
  if (entry.endpoint !== undefined)
    return refuse('context', 'has both endpoint: and context:', 'keep one: the context names its own endpoint');
  if (policy.dockerConfigDir === undefined)
    return refuse(
      'context',
      "context: is for the operator's inventory only — a stack file cannot pick a docker context (its endpoint, TLS keys and folder are the operator's)",
      'put the host in an inventory (-i), or write its endpoint: here',
    );
  if (entry.context === DEFAULT_CONTEXT)
    return withTls(name, { kind: 'unix', path: DEFAULT_UNIX_SOCKET }, entry, policy, problems, at);
  const read = readDockerContext(entry.context, policy.dockerConfigDir);
  if (!read.ok) return refuse('context', read.error, read.hint);
  const { address, tls } = read.context;
  if (address.kind === 'tcp' && tls) {
    if (entry.tls !== undefined)
      return refuse('tls', `tls: is given while docker context ${entry.context} has its own TLS files`, 'remove tls:');
    return contextTls(read.context.name, address, tls, (summary, hint) => refuse('context', summary, hint));
  }
  return withSettings(name, read.context.address, entry, policy, problems, at);
}

/** A context's endpoint with the TLS files of its store, each checked like an inventory's. */
function contextTls(
  context: string,
  address: Omit<TcpEndpoint, 'tls'>,
  tls: TlsFiles,
  refuse: (summary: string, hint: string) => undefined,
): Endpoint | undefined {
  for (const part of ['ca', 'cert', 'key'] as const) {
    const problem = checkTlsFile(tls[part], part);
    if (problem) return refuse(`docker context ${context}: ${problem.summary}`, problem.hint);
  }
  return { ...address, tls };
}

/** The endpoint with its TLS setting: files checked, `tls: false` warned, a tcp host without `tls:` refused. */
function withTls(
  name: string,
  address: Exclude<EndpointAddress, SshAddress>,
  entry: Record<string, unknown>,
  policy: HostMapPolicy,
  problems: Problems,
  at: HostMapAt,
): Endpoint | undefined {
  const tls = entry.tls;
  for (const key of ['identity', 'known_hosts'] as const)
    if (entry[key] !== undefined)
      problems.error([...at.path, key], `host ${name}: ${key} applies to ssh:// endpoints only`, {
        in: at.root,
        hint: `remove ${key}:`,
      });
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

/**
 * An ssh:// endpoint with its settings: the user (the endpoint's, else the operator's), the identity (the host's
 * `identity:`, checked like a TLS key, else OpenSSH's default files), known_hosts (the host's, else the inventory's,
 * else ~/.ssh/known_hosts) and the agent. Refused where the operator's defaults are absent (x-stack.hosts).
 */
function withSsh(
  name: string,
  address: SshAddress,
  entry: Record<string, unknown>,
  policy: HostMapPolicy,
  problems: Problems,
  at: HostMapAt,
): SshEndpoint | undefined {
  const error = (key: string, summary: string, hint: string) => {
    problems.error([...at.path, key], summary, { in: at.root, hint });
    return undefined;
  };
  if (!policy.ssh)
    return error(
      'endpoint',
      `host ${name}: a stack file cannot name an ssh:// endpoint (it would choose where your SSH keys and agent are offered)`,
      'put the host in an inventory (-i FILE) or DOCKER_HOST: the operator chooses SSH hosts',
    );
  if (entry.tls !== undefined)
    return error('tls', `host ${name}: tls applies to tcp:// endpoints only, not to ssh://`, 'remove tls:');
  const settings = sshSettings(name, address, entry, policy.ssh, policy.baseDir);
  if ('problems' in settings) {
    for (const p of settings.problems) error(p.key, p.summary, p.hint);
    return undefined;
  }
  return { ...address, ...settings };
}

type SshProblem = { key: string } & TlsFileProblem;

function sshSettings(
  name: string,
  address: SshAddress,
  entry: Record<string, unknown>,
  defaults: SshDefaults,
  baseDir: string,
): Omit<SshEndpoint, 'kind' | 'host' | 'port'> | { problems: SshProblem[] } {
  const file = (key: string) => (typeof entry[key] === 'string' ? path.resolve(baseDir, entry[key]) : undefined);
  const problems: SshProblem[] = [];
  const identity = file('identity');
  const identityProblem = identity && checkTlsFile(identity, 'key', undefined, `host ${name}: SSH identity`);
  if (identityProblem) problems.push({ key: 'identity', ...identityProblem });
  const knownHosts = file('known_hosts') ?? defaults.knownHosts;
  const knownProblem = knownHosts && checkTlsFile(knownHosts, 'ca', undefined, `host ${name}: known_hosts`);
  if (knownProblem)
    problems.push({ key: entry.known_hosts !== undefined ? 'known_hosts' : 'endpoint', ...knownProblem });
  if (problems.length) return { problems };
  const fallback = DEFAULT_IDENTITIES.map((f) => path.join(defaults.home, '.ssh', f)).find((f) => existsSync(f));
  const key = identity ?? fallback;
  return {
    user: address.user ?? defaults.user,
    ...(key !== undefined ? { identity: key } : {}),
    knownHosts: [knownHosts ?? path.join(defaults.home, '.ssh', 'known_hosts')],
    ...(defaults.agent ? { agent: defaults.agent } : {}),
  };
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
  if (address.kind === 'ssh') return sshHost(address, env, problems, `DOCKER_HOST="${text}"`);
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

/** The one host of an ssh:// address the operator named outside an inventory (DOCKER_HOST, a context). */
function sshHost(
  address: SshAddress,
  env: Record<string, string | undefined>,
  problems: Problems,
  from: string,
): HostSpec | undefined {
  const settings = sshSettings(address.host, address, {}, sshDefaults(env), env.HOME || os.homedir());
  if ('problems' in settings) {
    for (const p of settings.problems)
      problems.add({ severity: 'error', summary: `${from}: ${p.summary}`, hint: p.hint });
    return undefined;
  }
  return { name: address.host, endpoint: { ...address, ...settings }, labels: {} };
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

/** Where the run's docker context was named, for messages: `--context`, `DOCKER_CONTEXT`, or config.json's currentContext. */
export interface ChosenContext {
  name: string;
  from: string;
}

/**
 * The one host of a docker context (--context, DOCKER_CONTEXT, currentContext), named as DOCKER_HOST's would be
 * (`default` for a socket, the address's host for tcp and ssh). `default` is not handled here (the caller: DOCKER_HOST
 * or the local socket). A tcp endpoint without TLS files is refused unless --allow-insecure-tcp, and then warned; an
 * ssh one takes the operator's SSH defaults (user, ~/.ssh identities and known_hosts, the agent).
 */
export function hostFromContext(
  chosen: ChosenContext,
  configDir: string,
  env: Record<string, string | undefined>,
  problems: Problems,
  policy: DockerEnvPolicy = {},
): HostSpec | undefined {
  const fail = (summary: string, hint: string): undefined =>
    void problems.add({ severity: 'error', summary: `${chosen.from}: ${summary}`, hint });
  const read = readDockerContext(chosen.name, configDir);
  if (!read.ok) return fail(read.error, read.hint);
  const { address, tls } = read.context;
  switch (address.kind) {
    case 'unix':
      return { name: 'default', endpoint: address, labels: {} };
    case 'ssh':
      return sshHost(address, env, problems, `${chosen.from}: docker context ${chosen.name}`);
    case 'tcp':
      break;
    default:
      return assertNever(address);
  }
  if (tls) {
    const endpoint = contextTls(chosen.name, address, tls, fail);
    return endpoint ? { name: address.host, endpoint, labels: {} } : undefined;
  }
  const where = `docker context ${chosen.name} reaches ${formatEndpoint(address)} without TLS`;
  if (!policy.allowInsecureTcp)
    return fail(
      `${where}: refused, whoever reaches that port is root on the host`,
      'recreate the context with ca=, cert= and key= (docker context update NAME --docker "host=…,ca=…,cert=…,key=…"), or pass --allow-insecure-tcp on a network you trust',
    );
  problems.add({ severity: 'warning', summary: `${chosen.from}: ${where} (--allow-insecure-tcp)` });
  return { name: address.host, endpoint: { ...address, tls: false }, labels: {} };
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
