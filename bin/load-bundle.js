// Loads the CLI's one-file bundle (dist/cli/bundle.cjs, made by scripts/bundle.mjs) with V8's code cache
// (dist/cli/bundle.cache): a run then deserialises the compiled code instead of parsing and compiling 3 MB of
// JavaScript. Node 22 has module.enableCompileCache for this; Node 20 (stack's floor) has vm.Script's cachedData.
// A cache V8 refuses (another Node or V8 flags) costs nothing: the bundle is compiled as without one.
// The build makes the cache (writeCodeCache) with the exact wrapper a run compiles, so V8 accepts it.
'use strict';
const { readFileSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname } = require('node:path');
const { fileURLToPath } = require('node:url');
const vm = require('node:vm');

const mtime = (url) => statSync(url, { throwIfNoEntry: false })?.mtimeMs ?? -1;

/** The bundle as a CommonJS module function, compiled with the cache when there is one as new as the bundle. */
function compile(bundle, cache) {
  const filename = fileURLToPath(bundle);
  // Read as latin1: the build checks the bundle is ASCII only (scripts/bundle.mjs), so this is the same text, made
  // without UTF-8 decoding, and V8 keeps it as a one-byte string.
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(filename, 'latin1')}\n})`;
  const cachedData = mtime(cache) >= mtime(bundle) ? readFileSync(cache) : undefined;
  // Dynamic import() inside the bundle (none today: esbuild turns its own into requires) resolves as in a module.
  const script = new vm.Script(source, {
    filename,
    cachedData,
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  return { script, filename };
}

/** Runs the bundle and returns its exports ({ main, … }). */
function loadBundle(bundle, cache) {
  const { script, filename } = compile(bundle, cache);
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(filename), module, filename, dirname(filename));
  return { exports: module.exports, script };
}

/**
 * The build's step: loads the bundle, runs `warm` on its exports (so that the functions a run needs are compiled: V8's
 * cache holds every function compiled by then, not only the top level), saves the cache. Resolves with what `warm`
 * returns.
 */
async function writeCodeCache(bundle, cache, warm = () => undefined) {
  const { exports, script } = loadBundle(bundle, new URL('file:///nonexistent'));
  const result = await warm(exports);
  writeFileSync(cache, script.createCachedData());
  return result;
}

module.exports = { loadBundle, writeCodeCache };
