/** Build output and errors with the values of the build's sensitive args replaced by the mask (src/sensitive.ts). */
import { MASK } from '../sensitive.js';
import type { BuildSpec } from '../stack/types.js';

/** A function that masks every occurrence of a sensitive arg's value (longest first, so none shows in part). */
export function masker(spec: Pick<BuildSpec, 'args' | 'sensitiveArgs'>): (text: string) => string {
  const values = (spec.sensitiveArgs ?? [])
    .map((name) => spec.args[name])
    .filter((v): v is string => !!v)
    .sort((a, b) => b.length - a.length);
  return (text) => values.reduce((t, v) => t.split(v).join(MASK), text);
}
