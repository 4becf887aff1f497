/**
 * The inventory (`-i FILE`): the hosts of one environment, in the shape the sandbox writes to
 * `.sandbox/inventory.yaml`:
 *
 *   hosts:
 *     h1: { endpoint: "tcp://10.77.0.11:2376", tls: { ca: ca.pem, cert: cert.pem, key: key.pem }, labels: { role: web } }
 *     h2: { endpoint: "unix:///run/stack-sandbox/h2/docker.sock", labels: {} }
 *     h3: { endpoint: "tcp://10.77.0.13:2375", tls: false }      # plain tcp: the operator says so, stack warns
 *     h4: { endpoint: "ssh://deploy@h4.example.com", identity: ~/.ssh/deploy_ed25519, known_hosts: known_hosts }
 *   known_hosts: known_hosts          # for every ssh:// host without its own (default ~/.ssh/known_hosts)
 *   consul: "http://10.77.0.2:8500"
 *   overlay: { helper_image: "10.77.0.2:5000/busybox@sha256:…" }   # stack's own overlay's helper, by digest
 *   policy: { mode: enforce, allow: [{ stack: vpn, rules: [cap-add] }] }   # dangerous settings (docs/policy.md)
 *   registries: { "10.77.0.2:5001": { username: stack, password_env: REGISTRY_PASSWORD } }   # win over ~/.docker
 *   registry: "10.77.0.2:5000"        # where `build:` images are pushed, and pulled from by every host
 *   builder: h1                       # the daemon that builds them: a host above, or `local` (DOCKER_HOST, the context, or the local socket)
 *
 * A host may name a docker context instead of an endpoint (`h5: { context: prod-eu }`): its endpoint and TLS files
 * come from the operator's docker context store (docker-context.ts).
 *
 * Relative TLS, identity and known_hosts paths resolve against the inventory file's folder. The inventory is the operator's: its files may be
 * anywhere, and its `consul:` is its own (x-stack.consul never fills in for it).
 */
import path from 'node:path';
import { describeRefusal, readOperatorFile, STACK_FILE_LIMIT } from './bounded-file.js';
import type { BuildTarget, HostSpec, InventoryRegistryAuth } from './types.js';
import { readRegistryAuth } from './inventory-registries.js';
import { localHost, readHostMap, sshDefaults } from './hosts.js';
import { contextOrDockerHost } from './context-hosts.js';
import type { MergeTags } from './merge-tags.js';
import type { Problems } from './problems.js';
import type { StackSchema } from './schema.js';
import { readYamlFile } from './yaml-file.js';
import { parsePolicy } from './policy/parse.js';
import type { Policy } from './policy/types.js';

export interface Inventory {
  hosts: HostSpec[];
  consul?: string;
  /** `overlay.helper_image`: stack's own overlay's helper image, pinned by digest (checked by the schema). */
  overlayHelperImage?: string;
  /** `policy:`, the operator's policy for dangerous settings (docs/policy.md); absent: the warn-only baseline. */
  policy?: Policy;
  /** `registries:`, the operator's registry credentials (inventory-registries.ts). */
  registryAuth?: Record<string, InventoryRegistryAuth>;
  /** `registry:` and `builder:`, for services with `build:` (docs/stack-file.md, Build). */
  build?: BuildTarget;
}

/** What the inventory may use of the operator's environment: the docker CLI's folder (contexts), the variables. */
export interface InventoryEnvironment {
  dockerConfigDir: string;
  env: Record<string, string | undefined>;
}

export function readInventory(
  file: string,
  displayName: string,
  schema: StackSchema,
  problems: Problems,
  tags: MergeTags,
  operator: InventoryEnvironment,
): Inventory | undefined {
  const read = readOperatorFile(file, STACK_FILE_LIMIT);
  if (!read.ok) {
    const { summary, hint } = describeRefusal('inventory file', displayName, read.refusal);
    problems.add({ severity: 'error', summary, hint, where: { file: displayName } });
    return undefined;
  }
  const parsed = readYamlFile(read.bytes, displayName, problems.positions, tags);
  for (const d of parsed.diagnostics) problems.add(d);
  if (!parsed.value) return undefined;
  const root = parsed.value;
  const schemaProblems = schema.validate('inventory', root);
  for (const p of schemaProblems) problems.error(p.path, p.message, { atKey: p.atKey, hint: p.hint, in: root });
  if (schemaProblems.length) return undefined;
  const listed = root.hosts as Record<string, unknown>;
  const baseDir = path.dirname(file);
  const knownHosts = typeof root.known_hosts === 'string' ? path.resolve(baseDir, root.known_hosts) : undefined;
  const ssh = { ...sshDefaults(operator.env), ...(knownHosts !== undefined ? { knownHosts } : {}) };
  const policy = { baseDir, ssh, dockerConfigDir: operator.dockerConfigDir };
  const hosts = readHostMap(listed, policy, problems, { root, path: ['hosts'] });
  const registryAuth = readRegistryAuth(root.registries, operator.env, problems, root);
  if (!Object.keys(listed).length) {
    problems.error(['hosts'], 'the inventory lists no hosts', { in: root });
    return undefined;
  }
  const overlay = root.overlay as { helper_image?: string } | undefined;
  const build = buildTarget(root, hosts, problems, operator);
  return {
    ...(build ? { build } : {}),
    hosts,
    consul: consulServers(root.consul),
    ...(overlay?.helper_image ? { overlayHelperImage: overlay.helper_image } : {}),
    ...(root.policy !== undefined ? { policy: parsePolicy(root.policy, displayName) } : {}),
    ...(registryAuth ? { registryAuth } : {}),
  };
}

/**
 * `builder: local`: the operator's own daemon, found as the docker CLI finds it — DOCKER_HOST > DOCKER_CONTEXT >
 * config.json's currentContext > the local socket (docs/transports.md) — and named `local`. Undefined (the problem
 * reported) when the one chosen cannot be read.
 */
function localBuilder(operator: InventoryEnvironment, problems: Problems): HostSpec | undefined {
  const chosen = contextOrDockerHost({ env: operator.env, dockerConfigDir: operator.dockerConfigDir }, problems);
  if (!chosen) return localHost();
  return chosen.hosts[0] && { ...chosen.hosts[0], name: 'local' };
}

/** `registry:` and `builder:` together (one without the other is an error); the builder is a listed host or `local`. */
function buildTarget(
  root: Record<string, unknown>,
  hosts: HostSpec[],
  problems: Problems,
  operator: InventoryEnvironment,
): BuildTarget | undefined {
  const registry = typeof root.registry === 'string' ? root.registry : undefined;
  const builder = typeof root.builder === 'string' ? root.builder : undefined;
  if (registry === undefined && builder === undefined) return undefined;
  if (registry === undefined || builder === undefined) {
    const [given, missing] = registry === undefined ? ['builder', 'registry'] : ['registry', 'builder'];
    problems.error([given], `${given}: without ${missing}: — stack builds on the builder and pushes to the registry`, {
      atKey: true,
      in: root,
      hint: `add ${missing}: (${missing === 'registry' ? 'HOST[:PORT] of a registry every host pulls from' : 'a host of this inventory, or local'})`,
    });
    return undefined;
  }
  if (builder === 'local') {
    const local = localBuilder(operator, problems);
    return local && { registry: registry.replace(/\/+$/, ''), builder: local };
  }
  const host = hosts.find((h) => h.name === builder);
  if (!host) {
    problems.error(['builder'], `builder: ${builder} is not a host of this inventory`, {
      in: root,
      hint: `name one of ${hosts.map((h) => h.name).join(', ') || 'the hosts'}, or local for the local daemon`,
    });
    return undefined;
  }
  return { registry: registry.replace(/\/+$/, ''), builder: host };
}

/** The inventory's `consul:`: one address, or the servers of one cluster as a list (kept comma-separated). */
export function consulServers(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(',');
  return undefined;
}
