/**
 * The compiled schema, made on first use and kept for the life of the process (compiling costs a few hundred ms, so
 * `npm run build` precompiles it): the result never changes, so this is a cache of a constant, not shared state. Pass LoadOptions.schema to
 * use your own instance instead.
 */
import { StackSchema, schemaPath, type SchemaName } from './schema.js';
import { precompiledPath, precompiledValidators } from './precompiled.js';

let compiled: StackSchema | undefined;

/** The validators `npm run build` precompiles in dist/ (scripts/compile-schemas.mjs), if there and fresh. */
const precompiled = () =>
  precompiledValidators<SchemaName>(precompiledPath('schema-validators.cjs'), [
    new URL(import.meta.url),
    schemaPath('stack.schema.json'),
    schemaPath('inventory.schema.json'),
    schemaPath('reconcile.schema.json'),
  ]);

export function defaultStackSchema(): StackSchema {
  compiled ??= new StackSchema(precompiled());
  return compiled;
}
