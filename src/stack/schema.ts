/**
 * Validates a tree against schemas/stack.schema.json with ajv (all errors at once) and turns ajv's errors into
 * one readable problem per location: alternatives that did not apply are dropped, unknown keys get a
 * "did you mean", and schema-provided `errorMessage`s replace generic wording.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { formatKeyPath, keyPathFromPointer, type KeyPath } from './key-path.js';
import { closest } from './suggest.js';

export interface SchemaProblem {
  path: KeyPath;
  message: string;
  /** True when the problem is about the key itself (unknown key, bad name). */
  atKey: boolean;
  hint?: string;
}

export type SchemaName = 'stack' | 'inventory' | 'reconcile';

/** The ajv instance with both schemas added (ids in `ids`); `source` keeps the generated code, for standalone output. */
export function schemaCompiler(source = false): { ajv: Ajv; ids: Record<SchemaName, string> } {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true, code: { source } });
  const addFormats = addFormatsModule as unknown as (a: Ajv, formats: string[]) => Ajv;
  addFormats(ajv, ['ipv4', 'ipv6']);
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  const stack = readSchema('stack.schema.json');
  const inventory = readSchema('inventory.schema.json');
  const reconcile = readSchema('reconcile.schema.json');
  ajv.addSchema(stack);
  ajv.addSchema(inventory);
  ajv.addSchema(reconcile);
  return {
    ajv,
    ids: { stack: stack.$id as string, inventory: inventory.$id as string, reconcile: reconcile.$id as string },
  };
}

/**
 * A compiled validator for the stack file, the inventory and reconcile.yaml; create one per process and reuse it. Pass
 * `validators` precompiled at build time (dist/schema-validators.cjs) to skip compiling, which takes
 * most of a short command's run time.
 */
export class StackSchema {
  private readonly validators: Record<SchemaName, ValidateFunction>;

  constructor(validators?: Record<SchemaName, ValidateFunction>) {
    if (validators) this.validators = validators;
    else {
      const { ajv, ids } = schemaCompiler();
      this.validators = {
        stack: ajv.getSchema(ids.stack) as ValidateFunction,
        inventory: ajv.getSchema(ids.inventory) as ValidateFunction,
        reconcile: ajv.getSchema(ids.reconcile) as ValidateFunction,
      };
    }
  }

  validate(name: SchemaName, value: unknown): SchemaProblem[] {
    const validate = this.validators[name];
    if (validate(value)) return [];
    return describeErrors(validate.errors ?? [], value);
  }
}

export function schemaPath(file: string): URL {
  return new URL(`../../schemas/${file}`, import.meta.url);
}

function readSchema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(schemaPath(file), 'utf8')) as Record<string, unknown>;
}

const DROPPED = new Set(['anyOf', 'oneOf', 'if', 'propertyNames']);

function describeErrors(errors: ErrorObject[], root: unknown): SchemaProblem[] {
  const relevant = errors.filter((e) => !DROPPED.has(e.keyword));
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of relevant) {
    const key = e.instancePath + (e.propertyName !== undefined ? `/${e.propertyName}#key` : '');
    let list = byPath.get(key);
    if (!list) byPath.set(key, (list = []));
    list.push(e);
  }
  const problems: SchemaProblem[] = [];
  const paths = [...byPath.keys()];
  for (const [pointer, list] of byPath) {
    const deeper = paths.some((p) => p !== pointer && p.startsWith(`${pointer}/`));
    const nonType = list.filter((e) => e.keyword !== 'type');
    // Alternatives whose type did not match say nothing useful once another alternative explains the problem.
    const chosen = nonType.length ? nonType : deeper ? [] : list;
    if (!chosen.length) continue;
    if (chosen.every((e) => e.keyword === 'type')) {
      const types = [...new Set(chosen.flatMap((e) => String(e.params.type).split(',')))];
      const custom = chosen
        .map((e): unknown => e.parentSchema?.errorMessage)
        .find((m): m is string => typeof m === 'string');
      problems.push({
        path: keyPathFromPointer(chosen[0].instancePath, root),
        message: custom ?? `must be ${describeTypes(types)}`,
        atKey: false,
      });
      continue;
    }
    const seen = new Set<string>();
    for (const e of chosen) {
      const problem = describe(e, root);
      const id = `${formatKeyPath(problem.path)}|${problem.message}`;
      if (seen.has(id)) continue;
      seen.add(id);
      problems.push(problem);
    }
  }
  return problems;
}

function describeTypes(types: string[]): string {
  const words = types.map((t) =>
    t === 'object'
      ? 'a mapping'
      : t === 'array'
        ? 'a list'
        : t === 'null'
          ? 'empty'
          : t === 'integer'
            ? 'an integer'
            : `a ${t}`,
  );
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}` : words[0];
}

function describe(e: ErrorObject, root: unknown): SchemaProblem {
  const path = keyPathFromPointer(e.instancePath, root);
  const parent = e.parentSchema;
  const custom = typeof parent?.errorMessage === 'string' ? parent.errorMessage : undefined;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const known = Object.keys((parent?.properties as Record<string, unknown> | undefined) ?? {});
      const guess = closest(key, known);
      return {
        path: [...path, key],
        message: `unknown key ${key}`,
        atKey: true,
        hint: guess
          ? `did you mean ${guess}?`
          : known.length
            ? `allowed here: ${known.join(', ')}, and x-* extensions`
            : undefined,
      };
    }
    case 'required':
      return { path, message: `missing required key ${String(e.params.missingProperty)}`, atKey: false };
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map((v) => String(v)).join(', ');
      return { path, message: custom ?? `must be one of: ${allowed}`, atKey: false };
    }
    case 'uniqueItems':
      return {
        path,
        message: `has the same item twice (items ${String(e.params.j)} and ${String(e.params.i)})`,
        atKey: false,
      };
    case 'format':
      return { path, message: custom ?? `must be an ${String(e.params.format)} address`, atKey: false };
    case 'pattern':
      if (e.propertyName !== undefined) {
        return {
          path: [...path, e.propertyName],
          message: `invalid name ${e.propertyName}: ${custom ?? `must match ${String(e.params.pattern)}`}`,
          atKey: true,
        };
      }
      return { path, message: custom ?? `must match ${String(e.params.pattern)}`, atKey: false };
    case 'minimum':
    case 'maximum':
    case 'minLength':
      return { path, message: custom ?? e.message ?? 'is invalid', atKey: false };
    default:
      return { path, message: custom ?? e.message ?? 'is invalid', atKey: false };
  }
}
