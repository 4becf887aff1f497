/**
 * The JSON Schemas every value stack reads from Consul under `stack/overlay/` must pass before it is used
 * (anyone with KV write on that prefix writes these). `npm run build` compiles them ahead of time
 * (dist/kv-validators.cjs: observe reads the overlay's keys on every run of a stack that has one); without that
 * file (tests from src/), ajv compiles each kind on first use.
 * A value that fails is an `OverlayValueError` naming the Consul key and the field: the plan refuses, no host
 * is written to, and nothing of the value is echoed.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { precompiledPath, precompiledValidators } from '../stack/precompiled.js';
import { DEVICE_NAME_PATTERN, IPV4_PATTERN, MTU_MAX, MTU_MIN, OverlayValueError, VNI_MAX, VNI_MIN } from './values.js';

const ipv4 = {
  type: 'string',
  maxLength: 15,
  pattern: IPV4_PATTERN,
  errorMessage: 'must be an IPv4 address (a.b.c.d)',
};
const cidr = {
  type: 'string',
  maxLength: 18,
  pattern:
    '^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}/(?:3[0-2]|[12]?[0-9])$',
  errorMessage: 'must be an IPv4 CIDR block (a.b.c.d/p)',
};
const vni = {
  type: 'integer',
  minimum: VNI_MIN,
  maximum: VNI_MAX,
  errorMessage: `must be an integer ${VNI_MIN}..${VNI_MAX}`,
};
const mtu = {
  type: 'integer',
  minimum: MTU_MIN,
  maximum: MTU_MAX,
  errorMessage: `must be an integer ${MTU_MIN}..${MTU_MAX}`,
};
const prefix = { type: 'integer', minimum: 1, maximum: 30, errorMessage: 'must be an integer 1..30' };
/** A host name as the inventory allows it (schemas/stack.schema.json, hosts' propertyNames). */
export const HOST_NAME_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,252}$';
const hostName = {
  type: 'string',
  pattern: HOST_NAME_PATTERN,
  errorMessage: `must be a host name (${HOST_NAME_PATTERN})`,
};
/** A stack or network key: what the stack file and project names allow, no `/`. */
const NAME_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$';
const name = { type: 'string', pattern: NAME_PATTERN, errorMessage: `must match ${NAME_PATTERN}` };
const NETWORK_NAME_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$';
const networkName = {
  type: 'string',
  pattern: NETWORK_NAME_PATTERN,
  errorMessage: `must match ${NETWORK_NAME_PATTERN}`,
};
const peers = { type: 'array', maxItems: 4096, items: ipv4, errorMessage: 'must be a list of IPv4 addresses' };

export const KV_SCHEMAS = {
  config: {
    type: 'object',
    additionalProperties: false,
    properties: {
      subnet: cidr,
      networkPrefix: prefix,
      leasePrefix: prefix,
      vniFirst: vni,
      vniLast: vni,
      mtu,
      dns: ipv4,
      /** Read by earlier versions; ignored now (the helper image is the operator's), so an old config still loads. */
      helperImage: { type: 'string', maxLength: 512 },
    },
  },
  allocation: {
    type: 'object',
    additionalProperties: false,
    required: ['stack', 'key', 'name', 'vni', 'subnet', 'mtu'],
    properties: { stack: name, key: name, name: networkName, vni, subnet: cidr, mtu, fixed: { type: 'boolean' } },
  },
  lease: {
    type: 'object',
    additionalProperties: false,
    required: ['host', 'slot', 'range', 'gateway', 'underlay'],
    properties: {
      host: hostName,
      slot: { type: 'integer', minimum: 1, maximum: 1 << 29, errorMessage: 'must be a positive integer' },
      range: cidr,
      gateway: ipv4,
      underlay: ipv4,
    },
  },
  programmed: {
    type: 'object',
    additionalProperties: false,
    required: ['host', 'vni', 'peers'],
    properties: { host: hostName, vni, peers, local: ipv4, mtu },
  },
  /** `vni/<n>` and `subnet/<a.b.c.d_p>`: the network that holds it. */
  claim: {
    type: 'string',
    pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}/[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$',
    errorMessage: 'must be <stack>/<network key>',
  },
  /** `networks/<stack>/<key>/slot/<n>`: the host that holds it. */
  slot: hostName,
  'subnet-generation': { type: 'string', pattern: '^[0-9]{1,15}$', errorMessage: 'must be a count (digits)' },
} as const;

export type KvKind = keyof typeof KV_SCHEMAS;

/** Device names the helper's listing may report (stack's own: `stvx<VNI>`), for the output parser. */
export const STACK_DEVICE = /^stvx[1-9][0-9]{0,7}$/;
export { DEVICE_NAME_PATTERN };

/** The precompiled validators (or, without them, the ajv instance that compiles each kind on first use). */
let compiled: Record<KvKind, ValidateFunction> | Ajv | undefined;

/** The ajv instance with every KV schema added under its kind; `source` keeps the code (scripts/compile-schemas.mjs). */
export function kvSchemaCompiler(source = false): { ajv: Ajv; ids: Record<KvKind, KvKind> } {
  const ajv = new Ajv({ allErrors: false, verbose: true, strict: true, code: { source } });
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  for (const [kind, schema] of Object.entries(KV_SCHEMAS)) ajv.addSchema(schema, kind);
  const kinds = Object.keys(KV_SCHEMAS) as KvKind[];
  return { ajv, ids: Object.fromEntries(kinds.map((k) => [k, k])) as Record<KvKind, KvKind> };
}

/** A kind's validator: precompiled at build time (dist/kv-validators.cjs) when fresh, else compiled here once. */
function validator(kind: KvKind): ValidateFunction {
  compiled ??=
    precompiledValidators<KvKind>(precompiledPath('kv-validators.cjs'), [new URL(import.meta.url)]) ??
    kvSchemaCompiler().ajv;
  return compiled instanceof Ajv ? (compiled.getSchema(kind) as ValidateFunction) : compiled[kind];
}

/** The first problem of a failed validation, as `field message`. */
function describe(e: ErrorObject): string {
  const field = e.instancePath
    .split('/')
    .filter(Boolean)
    .map((p) => (/^[0-9]+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');
  if (e.keyword === 'required')
    return `${field ? `${field}.` : ''}${(e.params as { missingProperty: string }).missingProperty} is missing`;
  if (e.keyword === 'additionalProperties')
    return `unknown field ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty.slice(0, 40))}`;
  const message =
    (e.parentSchema as { errorMessage?: string } | undefined)?.errorMessage ?? e.message ?? 'is not valid';
  return field ? `${field} ${message}` : `the value ${message}`;
}

/**
 * Parses (JSON kinds) and validates one Consul value; returns it typed, or throws naming `Consul key KEY`.
 * Claims, slots and the generation counter are plain strings; the rest JSON.
 */
export function validateKvValue<T>(kind: KvKind, key: string, raw: string): T {
  const where = `Consul key ${key}`;
  let value: unknown = raw;
  if (kind === 'config' || kind === 'allocation' || kind === 'lease' || kind === 'programmed') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new OverlayValueError(where, 'is not JSON');
    }
  }
  const validate = validator(kind);
  if (!validate(value)) throw new OverlayValueError(where, describe(validate.errors![0]));
  return value as T;
}
