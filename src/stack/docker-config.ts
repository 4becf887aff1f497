/**
 * The docker CLI's configuration folder (DOCKER_CONFIG, default ~/.docker) and its config.json, parsed once into a
 * type: `currentContext`, `auths`, `credsStore`, `credHelpers`. The folder is the operator's (the CLI says which);
 * a stack file can never name it. A missing config.json is an empty configuration, as for the docker CLI; a
 * malformed one is an error naming the file and the key. Reads one bounded file.
 */
import path from 'node:path';
import { describeRefusal, readOperatorFile } from './bounded-file.js';
import { isRecord } from './key-path.js';

/** config.json is small; the docker CLI's own rarely passes a few KiB. */
export const DOCKER_CONFIG_LIMIT = 1024 * 1024;

/** One `auths` entry: a base64 `user:password`, or an identity token (OAuth refresh token). */
export interface DockerAuthEntry {
  username?: string;
  password?: string;
  identitytoken?: string;
}

export interface DockerConfig {
  /** The config.json read (for messages). */
  file: string;
  currentContext?: string;
  auths: Record<string, DockerAuthEntry>;
  /** A credential helper for every registry (`docker-credential-NAME`): a plain word, checked. */
  credsStore?: string;
  /** A credential helper per registry host. */
  credHelpers: Record<string, string>;
}

export type DockerConfigRead = { ok: true; config: DockerConfig } | { ok: false; error: string; hint: string };

/** A helper's NAME in `docker-credential-NAME`: a plain word (no path, no shell character). */
export const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The docker CLI's configuration folder: DOCKER_CONFIG, else HOME/.docker. */
export function dockerConfigDir(env: Record<string, string | undefined>, home: string): string {
  return env.DOCKER_CONFIG || path.join(home, '.docker');
}

/** Reads and checks `dir`/config.json (absent: an empty configuration). */
export function readDockerConfig(dir: string): DockerConfigRead {
  const file = path.join(dir, 'config.json');
  const read = readOperatorFile(file, DOCKER_CONFIG_LIMIT);
  if (!read.ok) {
    if (read.refusal.kind === 'missing') return { ok: true, config: { file, auths: {}, credHelpers: {} } };
    return { ok: false, ...renamed(describeRefusal('Docker config file', file, read.refusal)) };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(read.bytes.toString('utf8'));
  } catch (err) {
    return bad(file, `is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return parseDockerConfig(raw, file);
}

function renamed(d: { summary: string; hint: string }): { error: string; hint: string } {
  return { error: d.summary, hint: d.hint };
}

function bad(file: string, what: string): DockerConfigRead {
  return {
    ok: false,
    error: `Docker config file ${file} ${what}`,
    hint: 'fix the file (the docker CLI writes it: docker login, docker context use), or point DOCKER_CONFIG at another folder',
  };
}

/** Checks the keys stack uses; the others (proxies, plugins, …) are the docker CLI's and left alone. */
export function parseDockerConfig(raw: unknown, file: string): DockerConfigRead {
  if (!isRecord(raw)) return bad(file, 'is not a JSON object');
  const config: DockerConfig = { file, auths: {}, credHelpers: {} };
  if (raw.currentContext !== undefined) {
    if (typeof raw.currentContext !== 'string') return bad(file, 'has a currentContext that is not a string');
    if (raw.currentContext) config.currentContext = raw.currentContext;
  }
  if (raw.credsStore !== undefined && raw.credsStore !== '') {
    if (typeof raw.credsStore !== 'string' || !HELPER_NAME.test(raw.credsStore))
      return bad(
        file,
        `has credsStore ${JSON.stringify(raw.credsStore)}: a helper name must be a plain word (docker-credential-NAME, NAME of letters, digits, _ . -)`,
      );
    config.credsStore = raw.credsStore;
  }
  if (raw.credHelpers !== undefined) {
    if (!isRecord(raw.credHelpers)) return bad(file, 'has credHelpers that is not an object');
    for (const [registry, helper] of Object.entries(raw.credHelpers)) {
      if (typeof helper !== 'string' || !HELPER_NAME.test(helper))
        return bad(
          file,
          `has credHelpers.${registry} ${JSON.stringify(helper)}: a helper name must be a plain word (docker-credential-NAME, NAME of letters, digits, _ . -)`,
        );
      config.credHelpers[registry] = helper;
    }
  }
  if (raw.auths !== undefined) {
    if (!isRecord(raw.auths)) return bad(file, 'has auths that is not an object');
    for (const [registry, entry] of Object.entries(raw.auths)) {
      const parsed = authEntry(entry);
      if (typeof parsed === 'string') return bad(file, `has auths.${registry} ${parsed}`);
      config.auths[registry] = parsed;
    }
  }
  return { ok: true, config };
}

/** One `auths` entry, or what is wrong with it (never its value). */
function authEntry(entry: unknown): DockerAuthEntry | string {
  if (!isRecord(entry)) return 'that is not an object';
  for (const key of ['auth', 'username', 'password', 'identitytoken'] as const)
    if (entry[key] !== undefined && typeof entry[key] !== 'string') return `with ${key} that is not a string`;
  const result: DockerAuthEntry = {};
  if (typeof entry.auth === 'string' && entry.auth) {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) return 'with an auth that is not base64 of USER:PASSWORD';
    result.username = text.slice(0, colon);
    result.password = text.slice(colon + 1);
  } else {
    if (typeof entry.username === 'string') result.username = entry.username;
    if (typeof entry.password === 'string') result.password = entry.password;
  }
  if (typeof entry.identitytoken === 'string' && entry.identitytoken) result.identitytoken = entry.identitytoken;
  return result;
}
