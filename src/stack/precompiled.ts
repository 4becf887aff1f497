/**
 * Validators that `npm run build` compiles ahead of time into dist/ (scripts/compile-schemas.mjs: ajv's standalone
 * code), so that a run does not compile JSON Schemas — tens to hundreds of milliseconds each time, most of a no-op's
 * CPU. Used only when the file is newer than everything it was made from (a later tsc run makes it stale); tests,
 * run from src/, find none and compile as before.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';

const mtime = (url: URL) => statSync(url, { throwIfNoEntry: false })?.mtimeMs ?? -1;

/** Where the build writes `file`: dist/<file>, beside dist/stack/ (and beside dist/cli/, for the bundle). */
export function precompiledPath(file: string): URL {
  return new URL(`../${file}`, import.meta.url);
}

/** The validators in `url` (precompiledPath), by name, when it exists and is newer than every one of `sources`. */
export function precompiledValidators<K extends string>(
  url: URL,
  sources: URL[],
): Record<K, ValidateFunction> | undefined {
  const made = mtime(url);
  if (made < 0 || made < Math.max(...sources.map(mtime))) return undefined;
  return createRequire(import.meta.url)(url.pathname) as Record<K, ValidateFunction>;
}
