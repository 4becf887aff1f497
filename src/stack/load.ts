/**
 * loadStack: stack files → one normalised DesiredState, or every problem found, each with file:line:col.
 * Steps: find files → variables (.env / --env-file) → read + interpolate each file → merge (-f order) →
 * extends → refused / ignored keys → JSON Schema → stack name → profiles → hosts (the operator's first) → normalise →
 * cross-checks → the operator's policy (the inventory's, never the file's).
 * Reads files only; never contacts a daemon; never throws for a problem in the user's files.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import { describeRefusal, ProjectFolder, readOperatorFile, STACK_FILE_LIMIT, type FileRead } from './bounded-file.js';
import type {
  ConsulFrom,
  DesiredState,
  HostSpec,
  HostsSource,
  InventoryRegistryAuth,
  LoadResult,
  PolicyReport,
  StackSettings,
  BuildTarget,
} from './types.js';
import { checkContainerNames } from './checks/container-names.js';
import type { CheckContext } from './checks/context.js';
import { checkDependencies } from './checks/dependencies.js';
import { checkPlacement } from './checks/placement.js';
import { checkLimits } from './checks/limits.js';
import { checkPortConflicts } from './checks/port-conflicts.js';
import { checkSharedContainers } from './checks/shared-containers.js';
import { addressProblems } from './checks/addresses.js';
import { resolveExtends } from './extends.js';
import { applyIncludes } from './include.js';
import { localHost, LOCAL_SOCKET_PATH, readHostMap, sortKeys } from './hosts.js';
import { configDirOf, contextOrDockerHost } from './context-hosts.js';
import { interpolateTree } from './interpolate-tree.js';
import { sensitiveRule, type SensitiveRule, type SensitiveSources } from './sensitive-names.js';
import { interpolate, type Lookup } from './interpolate.js';
import { consulServers, readInventory, type Inventory } from './inventory.js';
import { applyKeyPolicy } from './key-policy.js';
import { isRecord, type KeyPath } from './key-path.js';
import { mergeTrees, stripResets } from './merge.js';
import { createMergeTags, type MergeTags } from './merge-tags.js';
import type { NormaliseContext } from './normalise/context.js';
import { normaliseFileObjects } from './normalise/file-objects.js';
import { normaliseService } from './normalise/service.js';
import { normaliseNetworks, normaliseVolumes } from './normalise/top-level.js';
import { DEFAULT_FILES, DEFAULT_LIMITS, DEFAULT_OVERRIDE_FILES, type LoadOptions } from './options.js';
import { Problems } from './problems.js';
import { resolveProjectName, type ProjectNameResult } from './project-name.js';
import { activeProfiles, applyProfiles } from './profiles.js';
import type { StackSchema } from './schema.js';
import { defaultStackSchema } from './schema-instance.js';
import { SourcePositions } from './source-positions.js';
import { loadVariables } from './variables.js';
import { HELPER_IMAGE_HINT, helperImageProblem } from './overlay-helper-image.js';
import { readYamlFile } from './yaml-file.js';
import { policyReport } from './policy/report.js';
import { BASELINE_POLICY, type Policy } from './policy/types.js';

export const DEFAULT_SETTINGS: StackSettings = { hostConcurrency: 8, globalConcurrency: 32, overlay: 'auto' };

export function loadStack(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve) => resolve(load(options)));
}

/** What every step of one load shares: where values came from, the problems found, the merge tags. */
interface LoadSession {
  options: LoadOptions;
  positions: SourcePositions;
  problems: Problems;
  tags: MergeTags;
  schema: StackSchema;
  /** A path as the operator should see it: relative to the working directory when it is under it. */
  displayPath: (absolute: string) => string;
}

/** The whole-stack checks that need every service normalised. */
function runChecks(checks: CheckContext): void {
  checkLimits(checks);
  checkDependencies(checks);
  checkPlacement(checks);
  checkPortConflicts(checks);
  checkSharedContainers(checks);
  checkContainerNames(checks);
}

/** The operator's hosts without a stack file (`stack hosts check` without -f): where they come from, and the helper image. */
export interface HostsOnly {
  hosts: HostSpec[];
  hostsSource: HostsSource;
  /** `--overlay-helper-image`, else the inventory's overlay.helper_image. */
  overlayHelperImage?: string;
}

/**
 * The hosts as a stack with no `x-stack` would get them — -i (or STACK_INVENTORY) > --context > DOCKER_HOST >
 * DOCKER_CONTEXT > currentContext > the sandbox's inventory or the local socket — read from the operator's files only; `files` are not read.
 */
export function loadHosts(options: LoadOptions): { value?: HostsOnly; diagnostics: Diagnostic[] } {
  const positions = new SourcePositions();
  const problems = new Problems(positions);
  const displayPath = (absolute: string) => {
    const relative = path.relative(options.cwd, absolute);
    return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
  };
  const schema = options.schema ?? defaultStackSchema();
  const resolved = resolveHosts({}, options, options.cwd, displayPath, schema, problems, createMergeTags());
  const helperImage = helperImageFlag(options, problems) ?? resolved.overlayHelperImage;
  if (problems.hasErrors()) return { diagnostics: problems.sorted() };
  return {
    value: {
      hosts: resolved.hosts,
      hostsSource: resolved.hostsSource,
      ...(helperImage ? { overlayHelperImage: helperImage } : {}),
    },
    diagnostics: problems.sorted(),
  };
}

function newSession(options: LoadOptions): LoadSession {
  const positions = new SourcePositions();
  return {
    options,
    positions,
    problems: new Problems(positions),
    tags: createMergeTags(),
    schema: options.schema ?? defaultStackSchema(),
    displayPath: (absolute) => {
      const relative = path.relative(options.cwd, absolute);
      return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
    },
  };
}

function load(options: LoadOptions): LoadResult {
  const s = newSession(options);
  const { problems } = s;
  const done = (): LoadResult => ({ diagnostics: problems.sorted() });

  const files = stackFiles(options, problems);
  if (!files.length) return done();
  const workingDir = options.projectDirectory
    ? path.resolve(options.cwd, options.projectDirectory)
    : path.dirname(files[0]);
  const folder = new ProjectFolder(workingDir);
  const variables = loadVariables(options.env, folder, options.envFiles, options.cwd, s.displayPath);
  variables.diagnostics.forEach((d) => problems.add(d));

  const read = readRoot(s, files, folder, variables.lookup, (fileName) =>
    resolveProjectName({ flag: options.projectName, variable: variables.lookup, fileName, workingDir }),
  );
  if (!read) return done();
  const { root, lookup } = read;
  const stackName = reportProjectName(s, read.project);
  const profiles = activeProfiles(options.profiles, options.env);
  const disabledServices = applyProfiles(root, profiles);
  const { hosts, hostsSource, settings, defaults, policy, registryAuth } = stackSettings(s, root, workingDir);

  const context = normaliseContext(s, root, {
    build: settings.build,
    stackName,
    workingDir,
    folder,
    lookup,
    defaults,
    sensitive: sensitiveRule(sensitiveSources(root, settings, lookup)),
  });
  const services = normaliseServices(root, context, disabledServices);
  const usesDefault = Object.values(services).some((service) => 'default' in service.networks);
  const state: DesiredState = {
    name: stackName,
    workingDir,
    files,
    hosts,
    hostsSource,
    settings,
    services,
    networks: normaliseNetworks(root.networks, usesDefault, context),
    volumes: normaliseVolumes(root.volumes, context),
    secrets: normaliseFileObjects(root.secrets, 'secret', context),
    configs: normaliseFileObjects(root.configs, 'config', context),
    ...(registryAuth ? { registryAuth } : {}),
  };

  runChecks({ services, hosts, disabledServices, problems, limits: { ...DEFAULT_LIMITS, ...options.limits } });
  for (const p of addressProblems(state.networks, services)) problems.error(p.path, p.summary, { hint: p.hint });
  state.policy = options.checkPolicy === false ? { policy, diagnostics: [] } : checkedPolicy(state, policy, problems);

  return problems.hasErrors() ? done() : { value: state, diagnostics: problems.sorted() };
}

/** The operator's policy over the normalised stack: each violation located in the stack file and added to `problems`. */
function checkedPolicy(state: DesiredState, policy: Policy, problems: Problems): PolicyReport {
  const report = policyReport(state, policy, (p) => problems.locate(p));
  report.diagnostics.forEach((d) => problems.add(d));
  return report;
}

/** The stack files as read: the one tree the rest normalises, the variables, and the stack's name. */
interface ReadRoot {
  root: Record<string, unknown>;
  /** The variables, with COMPOSE_PROJECT_NAME the stack's name when neither the environment nor .env sets it. */
  lookup: Lookup;
  project: ProjectNameResult;
}

/**
 * Reads and merges the stack files (in -f order), names the stack (the name is needed before interpolation, as
 * `${COMPOSE_PROJECT_NAME}` is), interpolates, resolves `extends`, applies the key policy and the JSON Schema.
 * Undefined when a file could not be read or parsed.
 */
function readRoot(
  s: LoadSession,
  files: string[],
  folder: ProjectFolder,
  variables: Lookup,
  nameFor: (fileName: unknown) => ProjectNameResult,
): ReadRoot | undefined {
  const { positions, problems, tags, displayPath } = s;
  const absoluteByDisplay = new Map<string, string>();
  let lookup = variables;
  /** Parses one file read for the stack; a refused read is reported at `at` (extends) or the file. */
  const parseFile = (file: string, read: FileRead, at?: KeyPath): Record<string, unknown> | undefined => {
    const display = displayPath(file);
    absoluteByDisplay.set(display, file);
    if (!read.ok) {
      const { summary, hint } = describeRefusal(at ? 'extends file' : 'stack file', display, read.refusal, folder);
      if (at) problems.error(at, summary, { hint });
      else problems.add({ severity: 'error', summary, hint, where: { file: display } });
      return undefined;
    }
    const parsed = readYamlFile(read.bytes, display, positions, tags);
    parsed.diagnostics.forEach((d) => problems.add(d));
    return parsed.value;
  };
  const interpolated = (tree: Record<string, unknown> | undefined) => {
    if (tree) interpolateTree(tree, lookup, positions).forEach((d) => problems.add(d));
    return tree;
  };

  const trees = files.map((file) => parseFile(file, readOperatorFile(file, STACK_FILE_LIMIT)));
  if (trees.some((t) => t === undefined) || problems.hasErrors()) return undefined;
  const project = nameFor(fileName(trees as Record<string, unknown>[], variables));
  lookup = withProjectName(variables, 'name' in project ? project.name : 'invalid');
  trees.forEach(interpolated);
  const parse = (f: string, bytes: Buffer) => parseFile(f, { ok: true, bytes });
  const includes = { positions, tags, problems, folder, displayPath, parse };
  trees.forEach((t, i) => applyIncludes(t as Record<string, unknown>, files[i], folder.root, lookup, [], includes));
  if (problems.hasErrors()) return undefined;
  let root = trees[0] as Record<string, unknown>;
  for (const tree of trees.slice(1)) root = mergeTrees(root, tree as Record<string, unknown>, { positions, tags });
  positions.setRoot(root, { file: displayPath(files[0]), line: 1, column: 1 });
  problems.root = root;

  const extendsCache = new Map<string, Record<string, unknown> | undefined>();
  resolveExtends(root, files[0], {
    positions,
    tags,
    absolutePath: (display) => absoluteByDisplay.get(display) ?? path.resolve(s.options.cwd, display),
    loadFile: (file, from) => {
      if (!extendsCache.has(file))
        extendsCache.set(file, interpolated(parseFile(file, folder.read(file, STACK_FILE_LIMIT), from.path)));
      return extendsCache.get(file);
    },
    report: (d) => problems.add(d),
  });
  stripResets(root, tags);

  applyKeyPolicy(root, problems);
  for (const p of s.schema.validate('stack', root))
    problems.error(p.path, p.message, { atKey: p.atKey, hint: p.hint, covers: true });
  return { root, lookup, project };
}

/** The top-level `name:` the merged files will have (the last file's that sets it), interpolated, as Compose reads it. */
function fileName(trees: Record<string, unknown>[], variables: Lookup): unknown {
  const name = trees.map((tree) => tree.name).findLast((value) => value !== undefined);
  return typeof name === 'string' ? interpolate(name, variables).value : name;
}

/** `${COMPOSE_PROJECT_NAME}` is the stack's name unless the environment or .env sets it (as in Compose). */
function withProjectName(variables: Lookup, name: string): Lookup {
  return (variable) => variables(variable) ?? (variable === 'COMPOSE_PROJECT_NAME' ? name : undefined);
}

/** Reports a project name that cannot be used, or one `name:` gave in another form; 'invalid' after an error. */
function reportProjectName(s: LoadSession, project: ProjectNameResult): string {
  const { problems } = s;
  if ('error' in project) {
    if (project.source === 'name') problems.error(['name'], project.error);
    else
      problems.add({
        severity: 'error',
        summary: project.error,
        hint: project.source === 'folder' ? 'give a name with -p NAME or name: in the file' : undefined,
      });
    return 'invalid';
  }
  if (project.written !== undefined)
    problems.warning(['name'], `name: ${project.written} is read as ${project.name} (as Compose reads it)`, {
      hint: `write name: ${project.name}`,
    });
  return project.name;
}

/** The hosts (the operator's first) and x-stack's settings: concurrency, overlay, Consul, helper image, revisions. */
function stackSettings(s: LoadSession, root: Record<string, unknown>, workingDir: string) {
  const { options, problems } = s;
  const { hosts, hostsSource, consul, consulFrom, overlayHelperImage, policy, registryAuth, build } = resolveHosts(
    root,
    options,
    workingDir,
    s.displayPath,
    s.schema,
    problems,
    s.tags,
  );
  const xStack = isRecord(root['x-stack']) ? root['x-stack'] : {};
  const concurrency = isRecord(xStack.concurrency) ? xStack.concurrency : {};
  const settings: StackSettings = {
    hostConcurrency: typeof concurrency.host === 'number' ? concurrency.host : DEFAULT_SETTINGS.hostConcurrency,
    globalConcurrency: typeof concurrency.global === 'number' ? concurrency.global : DEFAULT_SETTINGS.globalConcurrency,
    overlay: xStack.overlay === 'engine' || xStack.overlay === 'consul' ? xStack.overlay : 'auto',
  };
  if (consul) settings.consul = consul;
  const helperImage = helperImageFlag(options, problems) ?? overlayHelperImage;
  if (helperImage) settings.overlayHelperImage = helperImage;
  if (build) settings.build = build;
  if (consulFrom) settings.consulFrom = consulFrom;
  if (typeof xStack.keep_revisions === 'number') settings.keepRevisions = xStack.keep_revisions;
  if (Array.isArray(xStack.sensitive) && xStack.sensitive.length)
    settings.sensitive = xStack.sensitive.filter((p): p is string => typeof p === 'string');
  const defaults = isRecord(xStack.defaults) ? xStack.defaults : {};
  return { hosts, hostsSource, settings, defaults, policy: policy ?? BASELINE_POLICY, registryAuth };
}

function normaliseContext(
  s: LoadSession,
  root: Record<string, unknown>,
  from: {
    stackName: string;
    workingDir: string;
    folder: ProjectFolder;
    lookup: Lookup;
    defaults: Record<string, unknown>;
    sensitive: SensitiveRule;
    build: BuildTarget | undefined;
  },
): NormaliseContext {
  const keysOf = (key: string) => new Set(isRecord(root[key]) ? Object.keys(root[key]) : []);
  return {
    problems: s.problems,
    ...(from.build ? { build: from.build } : {}),
    stackName: from.stackName,
    workingDir: from.workingDir,
    folder: from.folder,
    displayPath: s.displayPath,
    lookup: from.lookup,
    sensitive: from.sensitive,
    defaultNetworkDriver: typeof from.defaults.network_driver === 'string' ? from.defaults.network_driver : 'bridge',
    declared: {
      networks: keysOf('networks'),
      volumes: keysOf('volumes'),
      secrets: keysOf('secrets'),
      configs: keysOf('configs'),
    },
  };
}

/** What makes a variable sensitive besides its name: x-stack.sensitive, and the variables secrets read. */
function sensitiveSources(root: Record<string, unknown>, settings: StackSettings, lookup: Lookup): SensitiveSources {
  const secretVariables = new Map<string, string | undefined>();
  for (const spec of Object.values(isRecord(root.secrets) ? root.secrets : {}))
    if (isRecord(spec) && typeof spec.environment === 'string')
      secretVariables.set(spec.environment, lookup(spec.environment));
  return { patterns: settings.sensitive ?? [], secretVariables };
}

/** Every service normalised, by name; a stack with none (and none left out by a profile) is an error. */
function normaliseServices(
  root: Record<string, unknown>,
  context: NormaliseContext,
  disabledServices: ReadonlySet<string>,
): DesiredState['services'] {
  const rawServices = isRecord(root.services) ? root.services : {};
  const notAMap = root.services !== undefined && !isRecord(root.services); // the schema said so
  if (!notAMap && !Object.keys(rawServices).length && !disabledServices.size) {
    context.problems.error(isRecord(root.services) ? ['services'] : [], 'the stack defines no services', {
      atKey: true,
      hint: 'add services: with at least one service',
    });
  }
  return sortKeys(
    Object.fromEntries(
      Object.entries(rawServices)
        .filter(([, raw]) => isRecord(raw))
        .map(([name, raw]) => [name, normaliseService(name, raw as Record<string, unknown>, context)]),
    ),
  );
}

/** `--overlay-helper-image`, when given and pinned by digest (the inventory's is checked by its schema). */
function helperImageFlag(options: LoadOptions, problems: Problems): string | undefined {
  const image = options.overlayHelperImage;
  if (image === undefined) return undefined;
  const problem = helperImageProblem(image);
  if (!problem) return image;
  problems.add({ severity: 'error', summary: `--overlay-helper-image: ${problem}`, hint: HELPER_IMAGE_HINT });
  return undefined;
}

function stackFiles(options: LoadOptions, problems: Problems): string[] {
  if (options.files?.length) return options.files.map((f) => path.resolve(options.cwd, f));
  const found = DEFAULT_FILES.map((f) => path.join(options.cwd, f)).filter((f) => existsSync(f));
  if (!found.length) {
    problems.add({
      severity: 'error',
      summary: `no stack file found in ${options.cwd}`,
      hint: `name one with -f FILE, or create ${DEFAULT_FILES[0]} (also looked for ${DEFAULT_FILES.slice(1).join(', ')})`,
    });
    return [];
  }
  if (found.length > 1) {
    problems.add({
      severity: 'warning',
      summary: `found ${found.map((f) => path.basename(f)).join(' and ')}; using ${path.basename(found[0])}`,
      hint: 'remove the others or pick one with -f',
    });
  }
  const override = DEFAULT_OVERRIDE_FILES.map((f) => path.join(options.cwd, f)).find((f) => existsSync(f));
  return override ? [found[0], override] : [found[0]];
}

interface HostsAndConsul {
  hosts: HostSpec[];
  hostsSource: HostsSource;
  consul?: string;
  consulFrom?: ConsulFrom;
  /** The inventory's overlay.helper_image (the operator's). */
  overlayHelperImage?: string;
  /** The inventory's policy: (the operator's; docs/policy.md). */
  policy?: Policy;
  /** The inventory's registries: credentials (the operator's). */
  registryAuth?: Record<string, InventoryRegistryAuth>;
  /** The inventory's registry: and builder: (the operator's). */
  build?: BuildTarget;
}

/**
 * Where the stack goes, and the Consul that comes with it. The operator's choice (-i, a docker context, DOCKER_HOST) wins, and then
 * x-stack.hosts and x-stack.consul are ignored (with a warning): a stack file cannot send the operator's
 * credentials where it likes. Without one, x-stack.hosts (TLS files inside the project folder), else the sandbox's
 * inventory or the local socket. x-stack.consul fills in only when the hosts are not the operator's inventory.
 */
function resolveHosts(
  root: Record<string, unknown>,
  options: LoadOptions,
  workingDir: string,
  displayPath: (absolute: string) => string,
  schema: StackSchema,
  problems: Problems,
  tags: MergeTags,
): HostsAndConsul {
  const xStack = isRecord(root['x-stack']) ? root['x-stack'] : {};
  const xConsul = consulServers(xStack.consul);
  const operator = operatorsHosts(options, displayPath, schema, problems, tags);
  if (operator) {
    const { chosenBy, ...chosen } = operator;
    ignoreXStack(xStack, chosenBy, problems);
    return chosen;
  }
  if (isRecord(xStack.hosts)) {
    const hosts = readHostMap(xStack.hosts, { baseDir: workingDir, confineTo: workingDir }, problems, {
      root,
      path: ['x-stack', 'hosts'],
    });
    if (!Object.keys(xStack.hosts).length)
      problems.error(['x-stack', 'hosts'], 'x-stack.hosts lists no hosts', { atKey: true });
    return { hosts, hostsSource: 'x-stack.hosts', ...fromXStack(xConsul) };
  }
  const sandbox = options.sandboxInventory;
  if (sandbox && !existsSync(options.localSocketPath ?? LOCAL_SOCKET_PATH) && existsSync(sandbox)) {
    const inventory = readInventory(sandbox, displayPath(sandbox), schema, problems, tags, {
      dockerConfigDir: configDirOf(options),
      env: options.env,
    });
    ignoreXStack({ consul: xConsul }, "the sandbox's inventory", problems);
    return {
      hosts: inventory?.hosts ?? [],
      hostsSource: 'sandbox',
      ...fromInventory(inventory?.consul),
      ...inventorySettings(inventory),
    };
  }
  return { hosts: [localHost()], hostsSource: 'local-socket', ...fromXStack(xConsul) };
}

/**
 * The hosts the operator named: the inventory (-i or STACK_INVENTORY), else --context, DOCKER_HOST, DOCKER_CONTEXT
 * or config.json's currentContext (context-hosts.ts); undefined when none.
 */
function operatorsHosts(
  options: LoadOptions,
  displayPath: (absolute: string) => string,
  schema: StackSchema,
  problems: Problems,
  tags: MergeTags,
): (HostsAndConsul & { chosenBy: string }) | undefined {
  if (options.inventory) {
    const file = path.resolve(options.cwd, options.inventory);
    const inventory = readInventory(file, displayPath(file), schema, problems, tags, {
      dockerConfigDir: configDirOf(options),
      env: options.env,
    });
    return {
      hosts: inventory?.hosts ?? [],
      hostsSource: 'inventory',
      chosenBy: 'the inventory (-i or STACK_INVENTORY)',
      ...fromInventory(inventory?.consul),
      ...inventorySettings(inventory),
    };
  }
  return contextOrDockerHost(options, problems);
}

const fromInventory = (consul: string | undefined) => (consul ? { consul, consulFrom: 'inventory' as const } : {});
const inventorySettings = (inventory: Inventory | undefined) => ({
  ...(inventory?.build ? { build: inventory.build } : {}),
  ...(inventory?.overlayHelperImage ? { overlayHelperImage: inventory.overlayHelperImage } : {}),
  ...(inventory?.policy ? { policy: inventory.policy } : {}),
  ...(inventory?.registryAuth ? { registryAuth: inventory.registryAuth } : {}),
});
const fromXStack = (consul: string | undefined) => (consul ? { consul, consulFrom: 'x-stack.consul' as const } : {});

/** x-stack.hosts / x-stack.consul present while the operator chose the hosts: ignored, and said so. */
function ignoreXStack(xStack: Record<string, unknown>, operator: string, problems: Problems): void {
  for (const key of ['hosts', 'consul'] as const) {
    if (xStack[key] === undefined) continue;
    problems.warning(
      ['x-stack', key],
      `x-stack.${key} is ignored: the hosts come from ${operator}${key === 'consul' ? ", and Consul only from the operator (--consul, CONSUL_HTTP_ADDR or the inventory's consul:)" : ''}`,
      { atKey: true },
    );
  }
}

export type { Diagnostic };
