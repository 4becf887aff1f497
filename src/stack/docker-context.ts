/**
 * A docker CLI context (`docker context create NAME --docker host=…`), read from its store in the operator's
 * configuration folder: `contexts/meta/<sha256(NAME)>/meta.json` (Endpoints.docker.Host, SkipTLSVerify) and the
 * TLS folder `contexts/tls/<sha256(NAME)>/docker/{ca,cert,key}.pem`. What is read is checked: a malformed meta.json
 * is an error naming the context and the file; the endpoint is parsed by endpoint.ts like any other. Only the
 * operator names a context (inventory `context:`, --context, DOCKER_CONTEXT, config.json's currentContext).
 * `default` is not in the store: it means DOCKER_HOST or the local socket, and callers handle it.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describeRefusal, readOperatorFile } from './bounded-file.js';
import { formatEndpoint, parseEndpoint, type EndpointAddress } from './endpoint.js';
import { isRecord } from './key-path.js';
import type { TlsFiles } from './endpoint.js';

/** The docker CLI's rule for context names (store.validateContextName): at least two characters. */
export const CONTEXT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;
export const DEFAULT_CONTEXT = 'default';
const META_LIMIT = 1024 * 1024;

export interface DockerContext {
  name: string;
  address: EndpointAddress;
  /** The TLS files of the context's store, or undefined when it holds none. */
  tls?: TlsFiles;
  /** The meta.json read (for messages). */
  file: string;
}

export type DockerContextRead = { ok: true; context: DockerContext } | { ok: false; error: string; hint: string };

/** The store's folder name for a context: the hex sha256 of its name. */
export function contextId(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/** Reads context `name` from the store under `configDir` (the docker CLI's DOCKER_CONFIG folder). */
export function readDockerContext(name: string, configDir: string): DockerContextRead {
  const what = `docker context ${JSON.stringify(name)}`;
  if (!CONTEXT_NAME.test(name))
    return {
      ok: false,
      error: `${what} is not a valid context name`,
      hint: 'a context name is letters, digits and _ . + - (docker context ls lists them)',
    };
  const file = path.join(configDir, 'contexts', 'meta', contextId(name), 'meta.json');
  const read = readOperatorFile(file, META_LIMIT);
  if (!read.ok) {
    if (read.refusal.kind === 'missing')
      return {
        ok: false,
        error: `${what} does not exist in ${configDir} (no ${file})`,
        hint: 'docker context ls lists the contexts; DOCKER_CONFIG says which folder holds them',
      };
    const d = describeRefusal(`${what}: its meta file`, file, read.refusal);
    return { ok: false, error: d.summary, hint: d.hint };
  }
  const meta = parseMeta(read.bytes, name);
  if (typeof meta === 'string') return malformed(what, file, meta);
  const parsed = parseEndpoint(meta.host);
  if (!parsed.ok)
    return {
      ok: false,
      error: `${what} (${file}): its endpoint ${JSON.stringify(meta.host)}: ${parsed.error}`,
      hint: parsed.hint,
    };
  const address = parsed.address;
  const tls = tlsOf(name, configDir);
  if ('error' in tls) return { ok: false, error: `${what}: ${tls.error}`, hint: tls.hint };
  if (meta.skipTlsVerify && address.kind === 'tcp')
    return {
      ok: false,
      error: `${what} skips the daemon's certificate check (SkipTLSVerify) for ${formatEndpoint(address)}: not supported`,
      hint: `recreate the context with the daemon's CA (docker context update ${name} --docker "host=…,ca=CA.pem,cert=…,key=…")`,
    };
  return { ok: true, context: { name, address, file, ...(tls.files ? { tls: tls.files } : {}) } };
}

function malformed(what: string, file: string, why: string): DockerContextRead {
  return {
    ok: false,
    error: `${what}: ${file} is malformed (${why})`,
    hint: `recreate the context (docker context rm, then docker context create), or fix the file`,
  };
}

/** The fields stack uses from meta.json, or what is wrong (never more of the file than a key's name). */
function parseMeta(bytes: Buffer, name: string): { host: string; skipTlsVerify: boolean } | string {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'not valid JSON';
  }
  if (!isRecord(raw)) return 'not a JSON object';
  if (raw.Name !== name) return `its Name is not ${JSON.stringify(name)}`;
  const endpoints = raw.Endpoints;
  if (!isRecord(endpoints) || !isRecord(endpoints.docker)) return 'no Endpoints.docker';
  const docker = endpoints.docker;
  if (typeof docker.Host !== 'string' || !docker.Host) return 'Endpoints.docker.Host is not a string';
  if (docker.SkipTLSVerify !== undefined && typeof docker.SkipTLSVerify !== 'boolean')
    return 'Endpoints.docker.SkipTLSVerify is not true or false';
  return { host: docker.Host, skipTlsVerify: docker.SkipTLSVerify === true };
}

/**
 * The context's TLS files: all three (ca.pem, cert.pem, key.pem), none, or an error — stack verifies the daemon
 * and authenticates with a client certificate, so a store with only some of them is refused with what is missing.
 */
function tlsOf(name: string, configDir: string): { files?: TlsFiles } | { error: string; hint: string } {
  const dir = path.join(configDir, 'contexts', 'tls', contextId(name), 'docker');
  const files: TlsFiles = {
    ca: path.join(dir, 'ca.pem'),
    cert: path.join(dir, 'cert.pem'),
    key: path.join(dir, 'key.pem'),
  };
  const present = (['ca', 'cert', 'key'] as const).filter((part) => existsSync(files[part]));
  if (!present.length) return {};
  if (present.length === 3) return { files };
  const missing = (['ca', 'cert', 'key'] as const).filter((part) => !present.includes(part));
  return {
    error: `its TLS folder ${dir} has no ${missing.map((p) => `${p}.pem`).join(' or ')}`,
    hint: `stack verifies the daemon and signs in with a client certificate: recreate the context with ca=, cert= and key= (docker context update ${name} --docker "host=…,ca=…,cert=…,key=…")`,
  };
}
