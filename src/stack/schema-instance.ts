/**
 * The compiled schema, made on first use and kept for the life of the process (compiling costs a few hundred ms, so
 * `npm run build` precompiles it): the result never changes, so this is a cache of a constant, not shared state. Pass LoadOptions.schema to
 * use your own instance instead.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { StackSchema, schemaPath, type SchemaName } from './schema.js';

let compiled: StackSchema | undefined;

/** The validators `npm run build` precompiles in dist/ (scripts/compile-schemas.mjs), if there. */
const PRECOMPILED = new URL('../schema-validators.cjs', import.meta.url);

const mtime = (url: URL) => statSync(url, { throwIfNoEntry: false })?.mtimeMs ?? -1;

/** The precompiled validators when they are newer than the schemas and this module (a later tsc run makes them stale). */
function precompiled(): Record<SchemaName, ValidateFunction> | undefined {
  const made = mtime(PRECOMPILED);
  if (
    made < 0 ||
    made <
      Math.max(
        mtime(new URL(import.meta.url)),
        mtime(schemaPath('stack.schema.json')),
        mtime(schemaPath('inventory.schema.json')),
        mtime(schemaPath('reconcile.schema.json')),
      )
  )
    return undefined;
  return createRequire(import.meta.url)(PRECOMPILED.pathname) as Record<SchemaName, ValidateFunction>;
}

export function defaultStackSchema(): StackSchema {
  compiled ??= new StackSchema(precompiled());
  return compiled;
}
