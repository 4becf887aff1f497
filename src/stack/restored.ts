/**
 * A desired state read back from a revision (`stack rollback`) is untrusted input, like a stack file: anyone who
 * can write the state store could have written it. Before it is planned it passes what the loader guarantees of
 * a loaded stack: the normalised shape the planner relies on (JSON Schema, ajv), no label under stack's own
 * prefix, the stack's own name, and the loader's cross-checks (dependencies, placement, port conflicts, container
 * names). Pure; every problem is a diagnostic naming the revision and the key path.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { Diagnostic } from '../errors.js';
import { LABEL_PREFIX } from '../labels.js';
import { checkContainerNames } from './checks/container-names.js';
import { checkLimits } from './checks/limits.js';
import { DEFAULT_LIMITS } from './options.js';
import { checkDependencies } from './checks/dependencies.js';
import { checkPlacement } from './checks/placement.js';
import { checkPortConflicts } from './checks/port-conflicts.js';
import { checkSharedContainers } from './checks/shared-containers.js';
import { formatKeyPath } from './key-path.js';
import { Problems } from './problems.js';
import { SourcePositions } from './source-positions.js';
import type { DesiredState } from './types.js';

/** More replicas than a revision can sensibly hold: a sanity bound on data read back, not the plan's cap. */
export const MAX_RESTORED_REPLICAS = 10_000;

const str = (maxLength = 4096) => ({ type: 'string', maxLength });
const strings = { type: 'array', maxItems: 10_000, items: str() };
const stringMap = { type: 'object', maxProperties: 10_000, additionalProperties: str(65_536) };
/** A container's or service's name, as the stack file's schema allows it. */
const name = { type: 'string', maxLength: 255, pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$' };
const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum });

const deviceRequests = {
  type: 'array',
  maxItems: 100,
  items: { type: 'object', required: ['capabilities'], properties: { capabilities: strings, deviceIds: strings } },
};

const serviceSchema = {
  type: 'object',
  required: [
    'name',
    'image',
    'environment',
    'ports',
    'expose',
    'mounts',
    'networks',
    'restart',
    'labels',
    'dependsOn',
    'capAdd',
    'capDrop',
    'privileged',
    'readOnly',
    'secrets',
    'configs',
    'pullPolicy',
    'deploy',
  ],
  properties: {
    name: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$' },
    image: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[^\\s\\u0000-\\u001f]+$' },
    command: strings,
    entrypoint: strings,
    environment: stringMap,
    sensitive: strings,
    labels: stringMap,
    sysctls: stringMap,
    tmpfs: stringMap,
    ports: {
      type: 'array',
      maxItems: 10_000,
      items: {
        type: 'object',
        required: ['target', 'protocol', 'mode'],
        properties: {
          target: int(1, 65_535),
          published: { type: 'string', pattern: '^\\d{1,5}(-\\d{1,5})?$' },
          hostIp: str(64),
          protocol: { enum: ['tcp', 'udp', 'sctp'] },
          mode: { enum: ['host', 'ingress'] },
        },
      },
    },
    expose: strings,
    mounts: {
      type: 'array',
      maxItems: 10_000,
      items: {
        type: 'object',
        required: ['type', 'target', 'readOnly'],
        properties: {
          type: { enum: ['volume', 'bind', 'tmpfs'] },
          source: str(),
          target: str(),
          readOnly: { type: 'boolean' },
        },
      },
    },
    networks: {
      type: 'object',
      maxProperties: 1000,
      additionalProperties: {
        type: 'object',
        required: ['aliases'],
        properties: {
          aliases: strings,
          ipv4Address: str(64),
          ipv6Address: str(64),
          linkLocalIps: strings,
          macAddress: { type: 'string', pattern: '^[0-9a-f]{2}(:[0-9a-f]{2}){5}$' },
          driverOpts: stringMap,
          interfaceName: { type: 'string', pattern: '^[a-zA-Z0-9_.-]{1,15}$' },
        },
      },
    },
    restart: {
      type: 'object',
      required: ['name', 'maximumRetryCount'],
      properties: {
        name: { enum: ['no', 'always', 'on-failure', 'unless-stopped'] },
        maximumRetryCount: int(0, 1_000_000),
      },
    },
    dependsOn: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['condition', 'required'],
        properties: {
          condition: { enum: ['service_started', 'service_healthy', 'service_completed_successfully'] },
          required: { type: 'boolean' },
        },
      },
    },
    capAdd: strings,
    capDrop: strings,
    privileged: { type: 'boolean' },
    pid: { enum: ['host'] },
    ipc: { enum: ['host', 'private', 'shareable', 'none'] },
    uts: { enum: ['host'] },
    usernsMode: { enum: ['host'] },
    devices: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['source', 'target', 'permissions'],
        properties: { source: str(), target: str(), permissions: { type: 'string', pattern: '^[rwm]{1,3}$' } },
      },
    },
    securityOpt: { type: 'array', maxItems: 1000, items: str(1_048_576) },
    platform: { type: 'string', pattern: '^[a-z0-9_]+/[a-z0-9_]+(/[a-z0-9_.]+)?$' },
    cgroup: { enum: ['host', 'private'] },
    cgroupParent: str(),
    runtime: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$' },
    storageOpt: stringMap,
    groupAdd: strings,
    domainname: str(255),
    macAddress: { type: 'string', pattern: '^[0-9a-f]{2}(:[0-9a-f]{2}){5}$' },
    deviceCgroupRules: {
      type: 'array',
      maxItems: 1000,
      items: { type: 'string', pattern: '^([acb]) ([0-9]+|\\*):([0-9]+|\\*) ([rwm]{1,3})$' },
    },
    gpus: deviceRequests,
    deviceReservations: deviceRequests,
    volumesFrom: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['kind', 'mode'],
        properties: {
          kind: { enum: ['service', 'container'] },
          mode: { enum: ['ro', 'rw'] },
          service: name,
          container: name,
        },
      },
    },
    externalLinks: {
      type: 'array',
      maxItems: 1000,
      items: { type: 'object', required: ['container', 'alias'], properties: { container: name, alias: name } },
    },
    resources: {
      type: 'object',
      properties: {
        cpuset: { type: 'string', pattern: '^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$' },
        oomKillDisable: { type: 'boolean' },
        oomScoreAdj: int(-1000, 1000),
        memorySwappiness: int(0, 100),
        blkio: { type: 'object' },
      },
      additionalProperties: { type: 'integer' },
    },
    readOnly: { type: 'boolean' },
    secrets: { type: 'array', items: { type: 'object', required: ['source', 'target'] } },
    configs: { type: 'array', items: { type: 'object', required: ['source', 'target'] } },
    pullPolicy: { enum: ['always', 'missing', 'never', 'build'] },
    deploy: {
      type: 'object',
      required: ['mode', 'replicas', 'constraints', 'updateConfig', 'rollbackConfig'],
      properties: {
        mode: { enum: ['replicated', 'global'] },
        replicas: int(0, MAX_RESTORED_REPLICAS),
        maxReplicasPerNode: int(0, MAX_RESTORED_REPLICAS),
        constraints: {
          type: 'array',
          maxItems: 1000,
          items: {
            type: 'object',
            required: ['field', 'op', 'value', 'text'],
            properties: { field: str(256), op: { enum: ['==', '!='] }, value: str(256), text: str(1024) },
          },
        },
        updateConfig: { type: 'object' },
        rollbackConfig: { type: 'object' },
      },
    },
  },
};

const objectSchema = {
  type: 'object',
  required: ['key', 'name', 'driver', 'labels'],
  properties: { key: str(256), name: str(256), driver: str(256), labels: stringMap },
};

let validators: { service: ValidateFunction; object: ValidateFunction } | undefined;

function compiled() {
  if (!validators) {
    const ajv = new Ajv({ allErrors: false, strict: false });
    validators = { service: ajv.compile(serviceSchema), object: ajv.compile(objectSchema) };
  }
  return validators;
}

/** Every problem of the restored `desired` (empty: it may be planned); `where` names the revision. */
export function checkRestored(desired: DesiredState, stackName: string, where: string): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const at = (path: (string | number)[], summary: string, hint?: string) =>
    problems.push({
      severity: 'error',
      summary,
      where: { file: where, path: formatKeyPath(path) },
      ...(hint ? { hint } : {}),
    });
  if (desired.name !== stackName) at(['name'], `the revision is of stack ${desired.name}, not of ${stackName}`);
  checkShapes(desired, at);
  if (problems.length) return problems;
  checkLabels(desired, at);
  return [...problems, ...crossChecks(desired, where)];
}

type Report = (path: (string | number)[], summary: string, hint?: string) => void;

function checkShapes(desired: DesiredState, at: Report): void {
  const { service, object } = compiled();
  const shape = (v: ValidateFunction, base: string[], value: unknown) => {
    if (v(value)) return;
    const e = v.errors?.[0];
    at(
      [...base, ...(e?.instancePath ? e.instancePath.slice(1).split('/') : [])],
      `${e?.message ?? 'is not valid'} (not a stack stack wrote)`,
    );
  };
  for (const [name, s] of Object.entries(desired.services)) {
    shape(service, ['services', name], s);
    if (s && typeof s === 'object' && s.name !== name)
      at(['services', name, 'name'], `service ${name} calls itself ${String(s.name)}`);
  }
  for (const [name, n] of Object.entries(desired.networks)) shape(object, ['networks', name], n);
  for (const [name, v] of Object.entries(desired.volumes)) shape(object, ['volumes', name], v);
}

function checkLabels(desired: DesiredState, at: Report): void {
  const groups: [string, Record<string, { labels: Record<string, string> }>][] = [
    ['services', desired.services],
    ['networks', desired.networks],
    ['volumes', desired.volumes],
  ];
  for (const [kind, items] of groups)
    for (const [name, item] of Object.entries(items))
      for (const label of Object.keys(item.labels))
        if (label === LABEL_PREFIX || label.startsWith(`${LABEL_PREFIX}.`))
          at(
            [kind, name, 'labels', label],
            `label ${label} is under stack's own prefix ${LABEL_PREFIX}: only stack sets those`,
          );
}

/** The loader's cross-checks, its limits (replicas, containers) included, on the restored services and the current hosts. */
function crossChecks(desired: DesiredState, where: string): Diagnostic[] {
  const problems = new Problems(new SourcePositions());
  const context = {
    services: desired.services,
    hosts: desired.hosts,
    disabledServices: new Set<string>(),
    problems,
    limits: DEFAULT_LIMITS,
  };
  checkLimits(context);
  checkDependencies(context);
  checkPlacement(context);
  checkPortConflicts(context);
  checkSharedContainers(context);
  checkContainerNames(context);
  return problems.diagnostics.map((d) => ({ ...d, where: { ...d.where, file: where } }));
}
