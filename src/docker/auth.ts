/**
 * Registry credentials, looked up as the docker CLI does, with the operator's inventory first:
 *   1. the inventory's `registries:` (Sensitive passwords; src/stack/inventory-registries.ts);
 *   2. config.json's `credHelpers` for that registry, else its `credsStore` — `docker-credential-NAME get`
 *      (credential-helper.ts; "not found" means an anonymous pull);
 *   3. else config.json's `auths` (base64 `auth`, or username/password, or an `identitytoken`).
 * The CLI says which folder (DOCKER_CONFIG, else ~/.docker) and gives the helper's environment; the stack file can
 * choose neither. Looked up lazily, each registry once per source: a helper runs only for a registry the plan pulls
 * from (resolveCredentials, before the apply's first write) or that refuses the digest question without credentials
 * (src/observe/index.ts) — a no-op apply against registries that answer anyone runs none. The pipeline gives them
 * only to the operator's hosts (hosts.ts, operatorHosts), each pull only its own registry's.
 */
import { readDockerConfig, type DockerConfig } from '../stack/docker-config.js';
import type { InventoryRegistryAuth } from '../stack/types.js';
import { runCredentialHelper } from './credential-helper.js';

/** What the Engine takes in X-Registry-Auth: a user and password, or an identity token. */
export interface AuthConfig {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

/** Credentials resolved for one run, by registry host (`10.77.0.2:5001`, `docker.io`), or undefined. */
export type RegistryCredentials = (registry: string) => AuthConfig | undefined;

/** Where a run's credentials come from; each registry is looked up once per source (helpers are run then). */
export interface CredentialSource {
  get(registry: string): Promise<AuthConfig | undefined>;
  /** Whether get(registry) would run a credential helper not yet asked (reads config.json, runs nothing). */
  needsHelper(registry: string): boolean;
  /** Whether credentials are configured for `registry`, without running a helper (for warnings). */
  configured(registry: string): boolean;
}

export interface DockerCredentialOptions {
  /** The docker CLI's configuration folder (DOCKER_CONFIG, else ~/.docker). */
  configDir: string;
  /** The inventory's registries: (they win). */
  inventory?: Record<string, InventoryRegistryAuth>;
  /** The environment a credential helper runs with (PATH finds it). */
  env: Record<string, string | undefined>;
}

/** Docker Hub's names, and the key the docker CLI files its credentials under. */
const HUB = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];
const HUB_SERVER = 'https://index.docker.io/v1/';

function hostOf(key: string): string {
  return key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

function namesOf(registry: string): string[] {
  return HUB.includes(registry) ? HUB : [registry];
}

function keyFor<T>(entries: Record<string, T>, registry: string): string | undefined {
  const wanted = namesOf(registry);
  return Object.keys(entries)
    .sort()
    .find((key) => wanted.includes(hostOf(key)));
}

/** The credential source of the operator's inventory and Docker config folder. */
export function dockerCredentials(options: DockerCredentialOptions): CredentialSource {
  let config: DockerConfig | undefined;
  // One answer per registry for the source's life: a run that plans twice (look, then plan under the lock) runs a helper once.
  const asked = new Map<string, Promise<AuthConfig | undefined>>();
  const load = (): DockerConfig => {
    if (config) return config;
    const read = readDockerConfig(options.configDir);
    if (!read.ok) throw new CredentialConfigError(read.error, read.hint);
    return (config = read.config);
  };
  return {
    get: (registry) => {
      let answer = asked.get(registry);
      if (!answer) asked.set(registry, (answer = (async () => lookup(registry, options, load()))()));
      return answer;
    },
    needsHelper: (registry) => {
      if (asked.has(registry) || keyFor(options.inventory ?? {}, registry)) return false;
      const c = load();
      return keyFor(c.credHelpers, registry) !== undefined || c.credsStore !== undefined;
    },
    configured: (registry) => {
      if (keyFor(options.inventory ?? {}, registry)) return true;
      let c: DockerConfig;
      try {
        c = load();
      } catch {
        return false;
      }
      return keyFor(c.credHelpers, registry) !== undefined || keyFor(c.auths, registry) !== undefined;
    },
  };
}

/** config.json cannot be used: what and what to do. */
export class CredentialConfigError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'CredentialConfigError';
  }
}

async function lookup(registry: string, options: DockerCredentialOptions, config: DockerConfig) {
  const serveraddress = HUB.includes(registry) ? HUB_SERVER : registry;
  const fromInventory = keyFor(options.inventory ?? {}, registry);
  if (fromInventory) {
    const entry = options.inventory![fromInventory];
    return { username: entry.username, password: entry.password.reveal(), serveraddress };
  }
  const helperKey = keyFor(config.credHelpers, registry);
  const helper = helperKey ? config.credHelpers[helperKey] : config.credsStore;
  if (helper) {
    const answer = await runCredentialHelper(helper, serveraddress, registry, options.env);
    if (!answer.found) return undefined;
    return answer.username === '<token>'
      ? { identitytoken: answer.secret, serveraddress }
      : { username: answer.username, password: answer.secret, serveraddress };
  }
  return fromAuths(registry, config);
}

function fromAuths(registry: string, config: DockerConfig): AuthConfig | undefined {
  const key = keyFor(config.auths, registry);
  if (!key) return undefined;
  const { username, password, identitytoken } = config.auths[key];
  if (identitytoken) return { identitytoken, serveraddress: key, ...(username ? { username } : {}) };
  if (username !== undefined && password !== undefined) return { username, password, serveraddress: key };
  return undefined;
}

/** Asks `source` for each registry once (in parallel); the answers as a lookup for observe and apply. */
export async function resolveCredentials(source: CredentialSource, registries: string[]): Promise<RegistryCredentials> {
  const unique = [...new Set(registries)].sort();
  const answers = await Promise.all(unique.map(async (r) => [r, await source.get(r)] as const));
  const found = new Map(answers.filter((a): a is readonly [string, AuthConfig] => a[1] !== undefined));
  return (registry) => found.get(registry);
}
