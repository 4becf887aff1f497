/**
 * Validators that `npm run build` compiles ahead of time into dist/ (scripts/compile-schemas.mjs: ajv's standalone
 * code), so that a run does not compile JSON Schemas — tens to hundreds of milliseconds each time, most of a no-op's
 * CPU. Used only when the file is newer than everything it was made from (a later tsc run makes it stale); tests,
 * run from src/, find none and compile as before.
 * A file is compiled with V8's code cache the build saves beside it (`FILE.cache`, writeValidatorsCache): a run then
 * deserialises the validators' code instead of parsing and compiling it (the stack schema's is 440 kB). A cache V8
 * refuses (another Node, other flags, another file) costs only that compile.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type { ValidateFunction } from 'ajv';

const mtime = (url: URL) => statSync(url, { throwIfNoEntry: false })?.mtimeMs ?? -1;

/** Where the build writes `file`: dist/<file>, beside dist/stack/ (and beside dist/cli/, for the bundle). */
export function precompiledPath(file: string): URL {
  return new URL(`../${file}`, import.meta.url);
}

/** The code cache of a precompiled file: FILE.cache beside it. */
export const cachePath = (url: URL): URL => new URL(`${url.href}.cache`);

type CommonJsModule = { exports: Record<string, unknown> };
type ModuleFunction = (exports: unknown, require: NodeJS.Require, module: CommonJsModule, ...paths: string[]) => void;

/** Runs a CommonJS file as Node would, compiled with `cachedData` when given; returns its exports and its script. */
function runCommonJs(url: URL, cachedData: Buffer | undefined) {
  const filename = fileURLToPath(url);
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(filename, 'utf8')}\n})`;
  const script = new vm.Script(source, { filename, cachedData });
  const module: CommonJsModule = { exports: {} };
  (script.runInThisContext() as ModuleFunction)(
    module.exports,
    createRequire(url),
    module,
    filename,
    dirname(filename),
  );
  return { exports: module.exports, script };
}

/** The validators in `url` (precompiledPath), by name, when it exists and is newer than every one of `sources`. */
export function precompiledValidators<K extends string>(
  url: URL,
  sources: URL[],
): Record<K, ValidateFunction> | undefined {
  const made = mtime(url);
  if (made < 0 || made < Math.max(...sources.map(mtime))) return undefined;
  return loadPrecompiled(url).exports as Record<K, ValidateFunction>;
}

/**
 * A precompiled file's exports, compiled with its code cache when that is as new as the file; `cacheRejected` says
 * whether V8 refused the cache (undefined: there was none).
 */
export function loadPrecompiled(url: URL): { exports: Record<string, unknown>; cacheRejected: boolean | undefined } {
  const cache = cachePath(url);
  const cachedData = mtime(cache) >= mtime(url) ? readFileSync(cache) : undefined;
  const { exports, script } = runCommonJs(url, cachedData);
  return { exports, cacheRejected: cachedData ? script.cachedDataRejected : undefined };
}

/**
 * The build's step: loads the validators in `url`, runs `warm` on them (so that the validation functions it reaches
 * are compiled too: V8's cache holds every function compiled by then), saves their code cache beside them.
 */
export function writeValidatorsCache(url: URL, warm: (validators: Record<string, ValidateFunction>) => void): void {
  const { exports, script } = runCommonJs(url, undefined);
  warm(exports as Record<string, ValidateFunction>);
  writeFileSync(cachePath(url), script.createCachedData());
}
