/**
 * What stack reads back from its state store (Consul's KV and catalog, or the local state directory) is data
 * anyone with write access there could have crafted: each kind is checked against a JSON Schema (ajv) into its
 * type before use — text without control characters and of bounded length, numbers in range, key fragments
 * (a manifest's chunk folder) matching a strict pattern. A value that fails is a StoredDataError naming the key.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { precompiledPath, precompiledValidators } from '../stack/precompiled.js';
import type { LockInfo, RevisionManifest, RevisionRecord } from './types.js';

/** A value read back from the state store that is not what stack writes there. */
export class StoredDataError extends Error {
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${key}: ${problem}`);
    this.name = 'StoredDataError';
  }
}

/** The most a revision record may decode to, and so the most chunks of CHUNK_BYTES it may have. */
export const MAX_RECORD_BYTES = 32 * 1024 * 1024;
export const MAX_CHUNKS = 100;
/** The most a manifest or lock value may be (they are a few hundred bytes). */
export const MAX_SMALL_VALUE_BYTES = 64 * 1024;

/** Printable text: no control characters (they would reach a terminal), bounded. */
const text = (maxLength = 1024) => ({ type: 'string', maxLength, pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]*$' });
const count = { type: 'integer', minimum: 0, maximum: 1_000_000 };
const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const names = { type: 'array', maxItems: 100_000, items: text(512) };

const lockSchema = {
  type: 'object',
  required: ['stack', 'user', 'machine', 'command', 'since', 'pid'],
  properties: {
    stack: text(256),
    user: text(256),
    machine: text(256),
    command: text(1024),
    ciJob: text(512),
    since: text(64),
    pid: { type: 'integer', minimum: 0, maximum: 2 ** 31 },
    id: text(128),
  },
};

const rolloutSchema = {
  type: 'object',
  required: ['service', 'outcome', 'failures', 'updated', 'rolledBack'],
  properties: {
    service: text(256),
    outcome: {
      enum: ['completed', 'completed-with-failures', 'paused', 'rolled-back', 'rollback-incomplete', 'incomplete'],
    },
    failures: {
      type: 'array',
      maxItems: 100_000,
      items: {
        type: 'object',
        required: ['replica', 'host', 'op', 'reason'],
        properties: { replica: text(512), host: text(256), op: text(512), reason: text(8192) },
      },
    },
    updated: names,
    rolledBack: names,
    rollbackErrors: {
      type: 'array',
      maxItems: 100_000,
      items: { type: 'object', required: ['op', 'error'], properties: { op: text(512), error: text(8192) } },
    },
  },
};

const summaryProperties = {
  number: { type: 'integer', minimum: 1, maximum: 9_999_999_999 },
  hash: sha256,
  result: { enum: ['ok', 'failed', 'interrupted'] },
  kind: { enum: ['apply', 'destroy'] },
  command: text(1024),
  who: text(512),
  when: text(64),
  commit: text(256),
  plan: {
    type: 'object',
    required: ['create', 'replace', 'update', 'remove', 'operations'],
    properties: { create: count, replace: count, update: count, remove: count, operations: count },
  },
  rollouts: { type: 'array', maxItems: 10_000, items: rolloutSchema },
  apiVersions: {
    type: 'object',
    maxProperties: 10_000,
    propertyNames: { maxLength: 256 },
    additionalProperties: { type: 'string', pattern: '^[0-9]{1,3}\\.[0-9]{1,3}$' },
  },
};
const summaryRequired = ['number', 'hash', 'result', 'command', 'who', 'when', 'plan'];

const manifestSchema = {
  type: 'object',
  required: [...summaryRequired, 'encoding', 'chunks', 'bytes', 'sha256'],
  properties: {
    ...summaryProperties,
    encoding: { enum: ['json', 'zlib'] },
    chunks: { type: 'integer', minimum: 1, maximum: MAX_CHUNKS },
    bytes: { type: 'integer', minimum: 0, maximum: MAX_RECORD_BYTES },
    sha256,
    chunkDir: { type: 'string', pattern: '^chunks(-[0-9a-f]{12})?$' },
  },
};

const record = { type: 'object', maxProperties: 10_000 };
const recordSchema = {
  type: 'object',
  required: [...summaryRequired, 'desired'],
  properties: {
    ...summaryProperties,
    desired: {
      type: 'object',
      required: ['name', 'workingDir', 'services', 'networks', 'volumes', 'configs', 'secrets'],
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' },
        workingDir: text(4096),
        services: record,
        networks: record,
        volumes: record,
        configs: {
          ...record,
          additionalProperties: {
            type: 'object',
            required: ['spec'],
            properties: { spec: { type: 'object' }, content: { type: 'string' } },
          },
        },
        secrets: { ...record, additionalProperties: { type: 'object' } },
      },
    },
  },
};

/** The catalog's answer for one node: its services, as far as the sync reads them. */
const catalogNodeSchema = {
  type: ['object', 'null'],
  properties: {
    Services: {
      type: ['object', 'null'],
      maxProperties: 100_000,
      additionalProperties: {
        type: 'object',
        required: ['ID', 'Service'],
        properties: {
          ID: text(512),
          Service: text(512),
          Meta: { type: ['object', 'null'], additionalProperties: text(1024) },
        },
      },
    },
  },
};

/** Every kind of stored value, by the name its precompiled validator has (scripts/compile-schemas.mjs). */
const STORED_SCHEMAS = {
  lock: lockSchema,
  manifest: manifestSchema,
  record: recordSchema,
  catalogNode: catalogNodeSchema,
};
type StoredKind = keyof typeof STORED_SCHEMAS;

/** The ajv instance with every stored kind's schema added under its name; `source` keeps the code for the build. */
export function storedSchemaCompiler(source = false): { ajv: Ajv; ids: Record<StoredKind, StoredKind> } {
  const ajv = new Ajv({ allErrors: false, strict: false, allowUnionTypes: true, code: { source } });
  for (const [kind, schema] of Object.entries(STORED_SCHEMAS)) ajv.addSchema(schema, kind);
  const kinds = Object.keys(STORED_SCHEMAS) as StoredKind[];
  return { ajv, ids: Object.fromEntries(kinds.map((k) => [k, k])) as Record<StoredKind, StoredKind> };
}

/** The precompiled validators (or, without them, the ajv instance that compiles each kind on first use). */
let compiled: Record<StoredKind, ValidateFunction> | Ajv | undefined;

/** A kind's validator: precompiled at build time (dist/stored-validators.cjs) when fresh, else compiled here once. */
function validator(kind: StoredKind): ValidateFunction {
  compiled ??=
    precompiledValidators<StoredKind>(precompiledPath('stored-validators.cjs'), [new URL(import.meta.url)]) ??
    storedSchemaCompiler().ajv;
  return compiled instanceof Ajv ? (compiled.getSchema(kind) as ValidateFunction) : compiled[kind];
}

/** `value` as a T when it passes `schema`, else a StoredDataError naming `key` and the first problem. */
function check<T>(kind: StoredKind, key: string, value: unknown): T {
  const v = validator(kind);
  if (v(value)) return value as T;
  const e = v.errors?.[0];
  const at = e?.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : 'the value';
  throw new StoredDataError(
    key,
    `${at} ${e?.message ?? 'is not valid'}; not what stack writes there (damaged, or written by someone else)`,
  );
}

/** Parses a small JSON value (lock, manifest) read from `key`, size-capped first. */
export function parseJson(key: string, text: string | null | undefined): unknown {
  if (text == null) throw new StoredDataError(key, 'has no value');
  if (Buffer.byteLength(text, 'utf8') > MAX_SMALL_VALUE_BYTES)
    throw new StoredDataError(key, `is larger than ${MAX_SMALL_VALUE_BYTES} bytes`);
  try {
    return JSON.parse(text);
  } catch {
    throw new StoredDataError(key, 'is not JSON');
  }
}

export function parseLockInfo(key: string, value: unknown): LockInfo {
  return check<LockInfo>('lock', key, value);
}

/** A manifest read from `key`, which must be revision `number`'s. */
export function parseManifest(key: string, value: unknown, number: number): RevisionManifest {
  const m = check<RevisionManifest>('manifest', key, value);
  if (m.number !== number)
    throw new StoredDataError(key, `says revision ${m.number}, but is stored as revision ${number}`);
  return m;
}

/** A decoded record: its summary must be the manifest's (number, hash). */
export function parseRecord(key: string, value: unknown, manifest: RevisionManifest): RevisionRecord {
  const r = check<RevisionRecord>('record', key, value);
  if (r.number !== manifest.number || r.hash !== manifest.hash)
    throw new StoredDataError(key, 'its record does not match its manifest (number or hash)');
  return r;
}

export function parseCatalogNode<T>(key: string, value: unknown): T {
  return check<T>('catalogNode', key, value);
}
