/**
 * The compiled schema, made on first use and kept for the life of the process: compiling costs about 100 ms and
 * the result never changes, so this is a cache of a constant, not shared state. Pass LoadOptions.schema to
 * use your own instance instead.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { StackSchema, type SchemaName } from './schema.js';

let compiled: StackSchema | undefined;

/** The validators `npm run build` precompiles in dist/ (scripts/compile-schemas.mjs), if there. */
const PRECOMPILED = new URL('../schema-validators.cjs', import.meta.url);

export function defaultStackSchema(): StackSchema {
  compiled ??= new StackSchema(existsSync(PRECOMPILED) ? (createRequire(import.meta.url)(PRECOMPILED.pathname) as Record<SchemaName, ValidateFunction>) : undefined);
  return compiled;
}
