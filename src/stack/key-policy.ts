/**
 * Compose keys stack does not implement. None is silently ignored: each is either refused (an error that says
 * why) or, where ignoring it cannot change what runs, accepted with a warning. Both are removed from the tree
 * before schema validation, so the schema only describes what stack implements.
 */
import { isRecord, scalarText, type KeyPath } from './key-path.js';
import type { Problems } from './problems.js';
import { refuseReservedLabels } from './reserved-labels.js';

export interface KeyRule {
  /** Key path pattern; `*` is any service / network / … name. */
  pattern: string;
  action: 'refuse' | 'ignore';
  reason: string;
  hint?: string;
}

const RUNTIME = 'stack does not implement it, and running without it would change how the container behaves';

function refuseService(key: string, what: string, hint?: string): KeyRule {
  return { pattern: `services.*.${key}`, action: 'refuse', reason: `${what}: ${RUNTIME}`, hint };
}

/** A `build:` key stack's builder does not take (the Engine's `/build`, classic builder): refused with why. */
function refuseBuild(key: string, why: string, hint?: string): KeyRule {
  return { pattern: `services.*.build.${key}`, action: 'refuse', reason: why, hint };
}

const NO_BUILDKIT = "the Engine's /build endpoint stack builds through (the classic builder) has no such option";

/** build: keys of Compose that stack refuses, each with its reason. */
const BUILD_RULES: readonly KeyRule[] = [
  refuseBuild(
    'additional_contexts',
    `named contexts need BuildKit's session; ${NO_BUILDKIT}`,
    'copy what you need into the context folder',
  ),
  refuseBuild('ssh', 'a build never reaches the SSH agent of the operator (the stack file is application input)'),
  refuseBuild('secrets', 'build secrets need BuildKit; the stack file cannot choose which of your files a build reads'),
  refuseBuild('cache_from', NO_BUILDKIT),
  refuseBuild('cache_to', NO_BUILDKIT),
  refuseBuild('platforms', "one image is built, for the builder's platform", "choose a builder of the hosts' platform"),
  refuseBuild('tags', 'the image is tagged by stack (REGISTRY/PROJECT-SERVICE:<content hash>) and deployed by digest'),
  refuseBuild('network', "a build runs on the builder's default network; the stack file does not choose another"),
  refuseBuild('extra_hosts', NO_BUILDKIT),
  refuseBuild('privileged', 'a build is never privileged'),
  refuseBuild('entitlements', 'a build is never given extra privileges'),
  refuseBuild('isolation', NO_BUILDKIT),
  refuseBuild('shm_size', NO_BUILDKIT),
  refuseBuild('ulimits', NO_BUILDKIT),
  refuseBuild('no_cache', 'a content hash already in the registry is never rebuilt; a new one is built afresh'),
  refuseBuild('pull', 'the base image is pulled when the builder does not have it'),
  refuseBuild('provenance', NO_BUILDKIT),
  refuseBuild('sbom', NO_BUILDKIT),
  refuseBuild('no_cache_filter', 'a content hash already in the registry is never rebuilt; a new one is built afresh'),
];

export const KEY_RULES: readonly KeyRule[] = [
  ...BUILD_RULES,
  {
    pattern: 'version',
    action: 'ignore',
    reason: 'the top-level version is obsolete and ignored (as in Compose)',
    hint: 'remove it',
  },
  { pattern: 'models', action: 'refuse', reason: 'models (AI model runners) are not supported' },
  {
    pattern: 'jobs',
    action: 'refuse',
    reason: 'jobs (containers run to completion, by hand or on a schedule) are not supported: stack converges services',
    hint: 'run it as a service with restart: "no", or schedule stack exec',
  },
  {
    pattern: 'services.*.develop',
    action: 'ignore',
    reason: 'develop (compose watch) only matters on a developer machine',
  },
  { pattern: 'services.*.attach', action: 'ignore', reason: 'attach only affects `docker compose up` log output' },
  { pattern: 'services.*.tty', action: 'ignore', reason: 'stack runs containers detached, without a terminal' },
  {
    pattern: 'services.*.stdin_open',
    action: 'ignore',
    reason: 'stack runs containers detached, without standard input',
  },
  {
    pattern: 'services.*.links',
    action: 'ignore',
    reason: 'links are legacy; services on a shared network reach each other by service name',
    hint: 'use depends_on for ordering and networks.<net>.aliases for extra names',
  },
  {
    pattern: 'services.*.deploy.endpoint_mode',
    action: 'ignore',
    reason: 'stack has no virtual IPs; a service name resolves to its containers (DNS round robin)',
  },
  {
    pattern: 'services.*.deploy.placement.preferences',
    action: 'ignore',
    reason: 'stack always spreads replicas over the eligible hosts',
  },
  {
    pattern: 'services.*.deploy.labels',
    action: 'ignore',
    reason: 'deploy.labels label Swarm service objects, which stack does not create',
    hint: 'use labels: to label containers',
  },
  {
    pattern: 'services.*.deploy.resources.reservations.cpus',
    action: 'ignore',
    reason: 'the engine has no CPU reservation outside Swarm',
  },
  { pattern: 'services.*.ports.*.name', action: 'ignore', reason: 'port names are descriptive only' },
  { pattern: 'services.*.ports.*.app_protocol', action: 'ignore', reason: 'app_protocol is descriptive only' },
  {
    pattern: 'services.*.volumes.*.consistency',
    action: 'ignore',
    reason: 'consistency only matters on Docker Desktop for Mac',
  },
  { pattern: 'services.*.networks.*.priority', action: 'ignore', reason: 'network priority only orders attachment' },
  { pattern: 'secrets.*.labels', action: 'ignore', reason: 'secrets are files stack writes; they carry no labels' },
  { pattern: 'configs.*.labels', action: 'ignore', reason: 'configs are files stack writes; they carry no labels' },
  {
    pattern: 'services.*.volumes.*.volume.labels',
    action: 'ignore',
    reason:
      'stack does not label the volumes a mount makes (anonymous ones); named volumes take labels from the top-level volumes',
    hint: 'put the labels on the top-level volume',
  },

  refuseService('scale', 'scale', 'use deploy.replicas'),
  refuseService('annotations', 'annotations (OCI annotations)'),
  {
    pattern: 'services.*.cpu_count',
    action: 'refuse',
    reason: 'cpu_count is for Windows daemons only; the Linux Engine refuses it',
    hint: 'use cpus or deploy.resources.limits.cpus',
  },
  {
    pattern: 'services.*.cpu_percent',
    action: 'refuse',
    reason: 'cpu_percent is for Windows daemons only; the Linux Engine refuses it',
    hint: 'use cpus or deploy.resources.limits.cpus',
  },
  refuseService('credential_spec', 'credential_spec (Windows only)'),
  refuseService('lifecycle', 'lifecycle hooks'),
  refuseService(
    'pre_start',
    'pre_start hooks (a command run in a helper container before the service starts)',
    'run the step in an init service it depends_on with condition: service_completed_successfully',
  ),
  refuseService('models', 'models'),
  refuseService('provider', 'provider services'),
  refuseService('use_api_socket', 'use_api_socket'),
  refuseService('umask', "umask (the container process's file mode mask)"),
  {
    pattern: 'services.*.networks.*.use_service_name_alias',
    action: 'refuse',
    reason: "use_service_name_alias is not supported: the service's name is always an alias on each of its networks",
    hint: 'remove it',
  },
  refuseService('deploy.resources.reservations.generic_resources', 'deploy.resources.reservations.generic_resources'),
  refuseService(
    'volumes.*.bind.recursive',
    'bind.recursive (submounts of a bind mount)',
    'remove it: stack mounts binds recursively and read-only as written, what recursive: enabled means',
  ),
  refuseService('volumes.*.image', 'image mount options (image mounts are not supported)'),
  {
    pattern: 'services.*.pull_refresh_after',
    action: 'refuse',
    reason: 'it goes with pull_policy: refresh, which stack does not implement',
    hint: 'use pull_policy: always to pull on every apply, or missing',
  },
  { pattern: 'networks.*.enable_ipv4', action: 'refuse', reason: 'enable_ipv4: IPv4-less networks are not supported' },
  {
    pattern: 'secrets.*.driver',
    action: 'refuse',
    reason: 'secret drivers are not supported: stack writes secrets from file or environment',
  },
  {
    pattern: 'secrets.*.driver_opts',
    action: 'refuse',
    reason: 'secret drivers are not supported: stack writes secrets from file or environment',
  },
  { pattern: 'secrets.*.template_driver', action: 'refuse', reason: 'secret templates are not supported' },
  { pattern: 'configs.*.template_driver', action: 'refuse', reason: 'config templates are not supported' },
];

/** Applies KEY_RULES, the `build` rule and the legacy `external: { name }` form to the merged tree: reports, then removes or rewrites the keys. */
export function applyKeyPolicy(root: Record<string, unknown>, problems: Problems): void {
  const matches = findRuleMatches(root);
  for (const { rule, path } of matches) {
    const key = String(path[path.length - 1]);
    if (rule.action === 'refuse') {
      problems.error(path, `${key} is not supported — ${rule.reason}`, {
        atKey: true,
        hint: rule.hint ?? `remove ${key}`,
      });
    } else {
      problems.warning(path, `${key} is ignored — ${rule.reason}`, { atKey: true, hint: rule.hint });
    }
  }
  refuseComposeRefusals(root, problems);
  applyBuildRule(root, problems);
  applyLegacyExternal(root, problems);
  refuseReservedLabels(root, problems);
  for (const { path } of matches) removeAt(root, path);
}

/**
 * `external: { name: X }` (Compose's older form, deprecated for networks, volumes and configs) is read as `external: true` with `name: X`,
 * with a warning; a different `name:` beside it is an error. `external: {}` is `external: true`.
 */
function applyLegacyExternal(root: Record<string, unknown>, problems: Problems): void {
  for (const kind of ['networks', 'volumes', 'secrets', 'configs']) {
    const objects = root[kind];
    if (!isRecord(objects)) continue;
    for (const [key, spec] of Object.entries(objects)) {
      if (!isRecord(spec) || !isRecord(spec.external)) continue;
      const external = spec.external;
      const extra = Object.keys(external).filter((k) => k !== 'name' && !k.startsWith('x-'));
      if (extra.length || (external.name !== undefined && typeof external.name !== 'string')) continue; // the schema reports it
      const name = external.name;
      if (name !== undefined) {
        const at = [kind, key, 'external', 'name'];
        if (spec.name !== undefined && spec.name !== name) {
          problems.error(at, `external.name ${name} and name ${scalarText(spec.name)} disagree`, {
            atKey: true,
            hint: `keep one: name: ${name} with external: true`,
          });
          continue;
        }
        problems.warning(at, `external.name is Compose's older form — read as name: ${name} with external: true`, {
          atKey: true,
          hint: `write name: ${name} and external: true`,
        });
        problems.positions.copy(external, 'name', spec);
        spec.name = name;
      }
      spec.external = true;
    }
  }
}

interface RuleTrie {
  rules: KeyRule[];
  children: Map<string, RuleTrie>;
}

function buildTrie(rules: readonly KeyRule[]): RuleTrie {
  const root: RuleTrie = { rules: [], children: new Map() };
  for (const rule of rules) {
    let node = root;
    for (const segment of rule.pattern.split('.')) {
      let child = node.children.get(segment);
      if (!child) node.children.set(segment, (child = { rules: [], children: new Map() }));
      node = child;
    }
    node.rules.push(rule);
  }
  return root;
}

/** The rules as a tree of key segments, so the file is walked once for all of them. */
const RULE_TRIE = buildTrie(KEY_RULES);

/** Every (rule, path) where a KEY_RULES pattern matches the tree, in rule order. */
function findRuleMatches(root: unknown): { rule: KeyRule; path: KeyPath }[] {
  const found: { rule: KeyRule; path: KeyPath; order: number }[] = [];
  const stack: (string | number)[] = [];
  const walk = (value: unknown, node: RuleTrie) => {
    for (const rule of node.rules) found.push({ rule, path: [...stack], order: KEY_RULES.indexOf(rule) });
    if (!node.children.size) return;
    const wildcard = node.children.get('*');
    if (Array.isArray(value)) {
      if (!wildcard) return;
      value.forEach((child, i) => {
        stack.push(i);
        walk(child, wildcard);
        stack.pop();
      });
    } else if (isRecord(value)) {
      for (const [key, child] of Object.entries(value)) {
        const exact = node.children.get(key);
        for (const next of exact && wildcard ? [exact, wildcard] : exact ? [exact] : wildcard ? [wildcard] : []) {
          stack.push(key);
          walk(child, next);
          stack.pop();
        }
      }
    }
  };
  walk(root, RULE_TRIE);
  return found.sort((a, b) => a.order - b.order);
}

/**
 * A service named x-… (read as an extension or a fragment elsewhere in the file, so a reader would not take it for a
 * service; compose-go 2.16 loads it as one: a deliberate difference, docs/stack-file.md), and a develop.watch entry without path or action (develop itself is ignored, but a file stack takes is one
 * Compose takes).
 */
function refuseComposeRefusals(root: Record<string, unknown>, problems: Problems): void {
  const services = isRecord(root.services) ? root.services : {};
  for (const [name, service] of Object.entries(services)) {
    if (name.startsWith('x-'))
      problems.error(
        ['services', name],
        `the service name ${name} starts with x-, the prefix of extensions and fragments everywhere else in the file`,
        {
          atKey: true,
          hint: 'rename the service, or move it to a top-level x- key if it is a fragment for <<: or extends',
        },
      );
    const develop = isRecord(service) && isRecord(service.develop) ? service.develop : {};
    const watch = Array.isArray(develop.watch) ? develop.watch : [];
    watch.forEach((entry, i) => {
      const missing = ['path', 'action'].filter((key) => !isRecord(entry) || entry[key] === undefined);
      if (missing.length)
        problems.error(
          ['services', name, 'develop', 'watch', i],
          `develop.watch entry without ${missing.join(' and ')}`,
          {
            hint: 'Compose refuses it: give path: and action: (sync, rebuild, restart, sync+restart, sync+exec)',
          },
        );
    });
  }
}

/**
 * `build:` with `image:`: the build is ignored, with a warning (stack deploys the image). `build:` alone stays, for
 * the normaliser (normalise/build.ts), which refuses it when the inventory names no registry and builder.
 */
function applyBuildRule(root: Record<string, unknown>, problems: Problems): void {
  const services = root.services;
  if (!isRecord(services)) return;
  for (const [name, service] of Object.entries(services)) {
    if (!isRecord(service) || service.build === undefined || service.image === undefined) continue;
    problems.warning(
      ['services', name, 'build'],
      `build is ignored — stack deploys the image ${scalarText(service.image)} and does not build it`,
      { atKey: true, hint: 'remove image: to have stack build the service (docs/stack-file.md, Build)' },
    );
    delete service.build;
  }
}

function removeAt(root: unknown, path: KeyPath): void {
  let node = root;
  for (const segment of path.slice(0, -1)) {
    node = Array.isArray(node) ? node[segment as number] : isRecord(node) ? node[segment as string] : undefined;
  }
  if (isRecord(node)) delete node[path[path.length - 1] as string];
}
