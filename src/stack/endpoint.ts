/**
 * A Docker daemon's address, parsed once into a type: from an inventory, `x-stack.hosts` or DOCKER_HOST, and
 * then used as is by the Engine client (dockerOptions), the catalog and the overlay's underlay default. Pure.
 *
 * Accepted (the docker CLI's rules, opts/hosts.go):
 *   unix:///abs/path              a socket; `unix://` alone is /var/run/docker.sock
 *   tcp://HOST:PORT               HOST a DNS name, an IPv4 address or a bracketed IPv6 address ([::1])
 *   tcp://HOST                    port 2375, as the docker CLI (whatever the TLS setting); `tcp://` alone: localhost:2375
 *   /abs/path, HOST:PORT          without a scheme (DOCKER_HOST only: files must write the scheme; the schema says so)
 * Refused, each with a hint: http:// and https:// (the docker CLI's "invalid bind address format"), ssh://,
 * fd://, npipe://, a relative socket path, user info, a path, query or fragment after the port, a port outside
 * 1..65535, an IPv6 address without brackets, and any character a host name cannot have.
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

export type Endpoint = UnixEndpoint | TcpEndpoint;

/** An endpoint as written, before TLS is known. */
export type EndpointAddress = UnixEndpoint | Omit<TcpEndpoint, 'tls'>;

export type ParsedEndpoint = { ok: true; address: EndpointAddress } | { ok: false; error: string; hint: string };

export const DEFAULT_UNIX_SOCKET = '/var/run/docker.sock';
/** The docker CLI's default port for `tcp://HOST` (opts.defaultTCPHost), with or without TLS. */
export const DEFAULT_TCP_PORT = 2375;

const FORMS = 'use unix:///path/to/docker.sock or tcp://HOST:PORT';
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
      return refuse(
        'ssh:// endpoints are not supported',
        "forward the daemon's socket over SSH and point the endpoint at the local end (unix:// or tcp://127.0.0.1:PORT)",
      );
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
  if (!/^\d{1,5}$/.test(split.port) || Number(split.port) < 1 || Number(split.port) > 65535)
    return refuse(`port ${split.port} is not a number from 1 to 65535`);
  return { ok: true, address: { kind: 'tcp', host, port: Number(split.port) } };
}

function splitHostPort(rest: string): { host: string; port?: string; bracketed: boolean } | { error: string } {
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return { error: `tcp://${rest}: unclosed [ in the host` };
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':'))
      return { error: `tcp://${rest}: expected :PORT after the bracketed address` };
    return {
      host: rest.slice(1, close),
      port: after === '' || after === ':' ? undefined : after.slice(1),
      bracketed: true,
    };
  }
  const colons = rest.split(':').length - 1;
  if (colons > 1) return { error: `tcp://${rest}: an IPv6 address needs brackets, as in tcp://[::1]:2376` };
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
      return `tcp://${isIPv6(endpoint.host) ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
    default:
      return assertNever(endpoint);
  }
}

/** The IPv4 address of a tcp:// endpoint written as one (the overlay's underlay default), else undefined. */
export function endpointIPv4(endpoint: EndpointAddress): string | undefined {
  return endpoint.kind === 'tcp' && isIPv4(endpoint.host) ? endpoint.host : undefined;
}

/** The host (name or address, no brackets) of a tcp:// endpoint; undefined for a unix socket. */
export function endpointHost(endpoint: EndpointAddress): string | undefined {
  return endpoint.kind === 'tcp' ? endpoint.host : undefined;
}

function assertNever(value: never): never {
  throw new Error(`unexpected endpoint ${JSON.stringify(value)}`);
}
