/**
 * A Docker daemon's address, parsed once into a type: from an inventory, `x-stack.hosts` or DOCKER_HOST, and
 * then used as is by the Engine client (dockerOptions), the catalog and the overlay's underlay default. Pure.
 *
 * Accepted (the docker CLI's rules, opts/hosts.go):
 *   unix:///abs/path              a socket; `unix://` alone is /var/run/docker.sock
 *   tcp://HOST:PORT               HOST a DNS name, an IPv4 address or a bracketed IPv6 address ([::1])
 *   tcp://HOST                    port 2375, as the docker CLI (whatever the TLS setting); `tcp://` alone: localhost:2375
 *   ssh://[USER@]HOST[:PORT]      the Engine API over SSH (docs/transports.md); port 22; USER from the operator's
 *                                 environment when absent (filled in by hosts.ts, which knows it)
 *   /abs/path, HOST:PORT          without a scheme (DOCKER_HOST only: files must write the scheme; the schema says so)
 * Refused, each with a hint: http:// and https:// (the docker CLI's "invalid bind address format"),
 * fd://, npipe://, a relative socket path, user info in tcp://, a path, query or fragment after the port, a port
 * outside 1..65535, an IPv6 address without brackets, and any character a host name cannot have. In ssh://, a
 * user or host that could be read as an ssh option (a leading `-`) or that holds anything but
 * [A-Za-z0-9._-] is refused too, as is a password (USER:PASS@): nothing in an endpoint reaches an ssh argument
 * it was not meant for.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** TLS material for a tcp:// endpoint (paths to PEM files). */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface UnixEndpoint {
  kind: 'unix';
  /** Absolute path of the socket. */
  path: string;
}

export interface TcpEndpoint {
  kind: 'tcp';
  /** A DNS name, an IPv4 address or an IPv6 address (without brackets). */
  host: string;
  port: number;
  /** The client's TLS files; `false` only when the operator said so for this host (plain, unauthenticated tcp). */
  tls: TlsFiles | false;
}

/** How an ssh:// endpoint authenticates and checks the server: the operator's files and agent, never the stack file's. */
export interface SshSettings {
  /** The login name: from the endpoint, else the operator's user name. */
  user: string;
  /** A private key file (`identity:` in the inventory, else the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa). */
  identity?: string;
  /** known_hosts files, in order: `known_hosts:` in the inventory (per host, else global), else ~/.ssh/known_hosts. */
  knownHosts: string[];
  /** The SSH agent's socket (SSH_AUTH_SOCK), when there is one. */
  agent?: string;
}

export interface SshEndpoint extends SshSettings {
  kind: 'ssh';
  /** A DNS name, an IPv4 address or an IPv6 address (without brackets). */
  host: string;
  port: number;
}

export type Endpoint = UnixEndpoint | TcpEndpoint | SshEndpoint;

/** An ssh:// endpoint as written: the user only when the endpoint names one. */
export interface SshAddress {
  kind: 'ssh';
  user?: string;
  host: string;
  port: number;
}

/** An endpoint as written, before TLS (tcp) or the SSH settings are known. */
export type EndpointAddress = UnixEndpoint | Omit<TcpEndpoint, 'tls'> | SshAddress;

export type ParsedEndpoint = { ok: true; address: EndpointAddress } | { ok: false; error: string; hint: string };

export const DEFAULT_UNIX_SOCKET = '/var/run/docker.sock';
/** The docker CLI's default port for `tcp://HOST` (opts.defaultTCPHost), with or without TLS. */
export const DEFAULT_TCP_PORT = 2375;
export const DEFAULT_SSH_PORT = 22;

const FORMS = 'use unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://USER@HOST[:PORT]';
/** A login name ssh takes as one argument and never as an option: POSIX portable names. */
const SSH_USER = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,31}$/;
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

const refuse = (error: string, hint = FORMS): ParsedEndpoint => ({ ok: false, error, hint });

/** Parses an endpoint; `text` is used as written (no trimming: a space is an error, not a silent fix). */
export function parseEndpoint(text: string): ParsedEndpoint {
  const cut = text.indexOf('://');
  if (cut < 0) {
    if (text.startsWith('/')) return parseUnix(text);
    return text ? parseTcp(text) : refuse('the endpoint is empty');
  }
  const scheme = text.slice(0, cut);
  const rest = text.slice(cut + 3);
  switch (scheme) {
    case 'unix':
      return parseUnix(rest || DEFAULT_UNIX_SOCKET);
    case 'tcp':
      return parseTcp(rest);
    case 'http':
    case 'https':
      return refuse(
        `${scheme}:// is not a Docker endpoint (the docker CLI refuses it too)`,
        `write tcp://${rest} — TLS comes from the host's tls: files (or DOCKER_TLS_VERIFY), not from the scheme`,
      );
    case 'ssh':
      return parseSsh(rest);
    default:
      return refuse(`${scheme}:// endpoints are not supported`);
  }
}

function parseUnix(path: string): ParsedEndpoint {
  if (!path.startsWith('/'))
    return refuse(`unix socket path ${path} is not absolute`, 'write unix:///absolute/path/to/docker.sock');
  if (/[\0\n\r]/.test(path)) return refuse('the unix socket path contains a control character');
  return { ok: true, address: { kind: 'unix', path } };
}

function parseTcp(rest: string): ParsedEndpoint {
  if (rest === '') return { ok: true, address: { kind: 'tcp', host: 'localhost', port: DEFAULT_TCP_PORT } };
  if (rest.includes('@')) return refuse('user info (NAME@) is not allowed in a tcp:// endpoint');
  if (/[/?#]/.test(rest))
    return refuse(
      `tcp://${rest} has a path, query or fragment (/, ? or #)`,
      'write tcp://HOST:PORT (a base path is not supported)',
    );
  const split = splitHostPort(rest);
  if ('error' in split) return refuse(split.error);
  const host = split.host === '' ? 'localhost' : split.host;
  if (!validHost(host, split.bracketed))
    return refuse(
      `${split.bracketed ? `[${host}]` : host} is not a host name, an IPv4 address or a bracketed IPv6 address`,
    );
  if (split.port === undefined) return { ok: true, address: { kind: 'tcp', host, port: DEFAULT_TCP_PORT } };
  const port = portOf(split.port);
  if (port === undefined) return refuse(`port ${split.port} is not a number from 1 to 65535`);
  return { ok: true, address: { kind: 'tcp', host, port } };
}

function parseSsh(rest: string): ParsedEndpoint {
  const hint = 'write ssh://USER@HOST or ssh://USER@HOST:PORT (a name, an IPv4 address or a bracketed IPv6 address)';
  if (/[/?#]/.test(rest))
    return refuse(
      `ssh://${rest} has a path, query or fragment (/, ? or #)`,
      'write ssh://USER@HOST[:PORT]: the remote side uses its own Docker socket (docker system dial-stdio), as the docker CLI does',
    );
  const at = rest.lastIndexOf('@');
  const user = at < 0 ? undefined : rest.slice(0, at);
  const hostPort = at < 0 ? rest : rest.slice(at + 1);
  if (user !== undefined && user.includes(':'))
    return refuse(
      'a password in an ssh:// endpoint (USER:PASSWORD@) is not supported',
      'use a key: identity: in the inventory, or the SSH agent',
    );
  if (user !== undefined && !SSH_USER.test(user))
    return refuse(
      `ssh user ${JSON.stringify(user)} is not a login name (letters, digits, . _ -, not starting with -)`,
      hint,
    );
  if (hostPort === '' || hostPort.startsWith('-'))
    return refuse(`ssh://${rest}: ${hostPort === '' ? 'the host is missing' : 'a host cannot start with -'}`, hint);
  const split = splitHostPort(hostPort, 'ssh');
  if ('error' in split) return refuse(split.error, hint);
  if (!validHost(split.host, split.bracketed))
    return refuse(
      `${split.bracketed ? `[${split.host}]` : split.host} is not a host name, an IPv4 address or a bracketed IPv6 address`,
      hint,
    );
  const port = split.port === undefined ? DEFAULT_SSH_PORT : portOf(split.port);
  if (port === undefined) return refuse(`port ${split.port} is not a number from 1 to 65535`, hint);
  return { ok: true, address: { kind: 'ssh', ...(user !== undefined ? { user } : {}), host: split.host, port } };
}

function portOf(text: string): number | undefined {
  return /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535 ? Number(text) : undefined;
}

function splitHostPort(
  rest: string,
  scheme = 'tcp',
): { host: string; port?: string; bracketed: boolean } | { error: string } {
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return { error: `${scheme}://${rest}: unclosed [ in the host` };
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':'))
      return { error: `${scheme}://${rest}: expected :PORT after the bracketed address` };
    return {
      host: rest.slice(1, close),
      port: after === '' || after === ':' ? undefined : after.slice(1),
      bracketed: true,
    };
  }
  const colons = rest.split(':').length - 1;
  if (colons > 1)
    return {
      error: `${scheme}://${rest}: an IPv6 address needs brackets, as in ${scheme}://[::1]:${scheme === 'ssh' ? 22 : 2376}`,
    };
  const [host, port] = rest.split(':');
  return { host, port: port === '' ? undefined : port, bracketed: false };
}

function validHost(host: string, bracketed: boolean): boolean {
  if (bracketed) return isIPv6(host);
  if (isIPv4(host)) return true;
  if (/^[\d.]+$/.test(host)) return false; // looks like an address but is not a valid one (10.0.0.256, 10.0.0)
  return host.length <= 253 && host.split('.').every((label) => DNS_LABEL.test(label));
}

/** The canonical text of an endpoint, for messages: `unix:///run/docker.sock`, `tcp://[::1]:2376`. */
export function formatEndpoint(endpoint: EndpointAddress): string {
  switch (endpoint.kind) {
    case 'unix':
      return `unix://${endpoint.path}`;
    case 'tcp':
      return `tcp://${bracketed(endpoint.host)}:${endpoint.port}`;
    case 'ssh':
      return `ssh://${endpoint.user !== undefined ? `${endpoint.user}@` : ''}${bracketed(endpoint.host)}${endpoint.port === DEFAULT_SSH_PORT ? '' : `:${endpoint.port}`}`;
    default:
      return assertNever(endpoint);
  }
}

const bracketed = (host: string) => (isIPv6(host) ? `[${host}]` : host);

/** The IPv4 address of a tcp:// or ssh:// endpoint written as one (the overlay's underlay default), else undefined. */
export function endpointIPv4(endpoint: EndpointAddress): string | undefined {
  const host = endpointHost(endpoint);
  return host !== undefined && isIPv4(host) ? host : undefined;
}

/** The host (name or address, no brackets) of a tcp:// or ssh:// endpoint; undefined for a unix socket. */
export function endpointHost(endpoint: EndpointAddress): string | undefined {
  return endpoint.kind === 'unix' ? undefined : endpoint.host;
}

function assertNever(value: never): never {
  throw new Error(`unexpected endpoint ${JSON.stringify(value)}`);
}
