/** One row of the mapping table: a compose key, compose-go's value of it and stack's, in one form. */
import type { Json } from './values.js';

export interface FieldMapping<S> {
  /** The compose key compared (`healthcheck`, `deploy.replicas`), named in the report. */
  key: string;
  /** compose-go's value in stack's form; undefined when the file does not set it (then it is not compared). */
  compose: (composeObject: Json) => unknown;
  /** stack's value of the same key, from its normalised form. */
  stack: (stackObject: S) => unknown;
}
