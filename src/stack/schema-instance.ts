/**
 * The compiled schema, made on first use and kept for the life of the process: compiling costs about 100 ms and
 * the result never changes, so this is a cache of a constant, not shared state. Pass LoadOptions.schema to
 * use your own instance instead.
 */
import { StackSchema } from './schema.js';

let compiled: StackSchema | undefined;

export function defaultStackSchema(): StackSchema {
  compiled ??= new StackSchema();
  return compiled;
}
