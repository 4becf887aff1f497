/**
 * The validators `npm run build` precompiles (scripts/compile-schemas.mjs: ajv's standalone code) decide as the ones
 * compiled at run time do — same verdict, same first error — for the stack file's schemas, the state store's values
 * and the overlay's KV values; and a precompiled file older than what it was made from is not used.
 */
import { copyFileSync, existsSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import type { Ajv, ValidateFunction } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import {
  cachePath,
  loadPrecompiled,
  precompiledValidators,
  writeValidatorsCache,
} from '../../../src/stack/precompiled.js';
import { schemaCompiler } from '../../../src/stack/schema.js';
import { storedSchemaCompiler } from '../../../src/state/stored.js';
import { kvSchemaCompiler } from '../../../src/overlay/kv-schema.js';

type Compiler = (source?: boolean) => { ajv: Ajv; ids: Record<string, string> };

const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-precompiled-'));

/** What the build writes for `compiler`, run as a CommonJS module (its require finds ajv's runtime from here). */
function built(compiler: Compiler): Record<string, ValidateFunction> {
  const { ajv, ids } = compiler(true);
  const module = { exports: {} as Record<string, ValidateFunction> };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the standalone code is ajv's, made just above
  new Function('require', 'module', 'exports', standalone.default(ajv, ids))(
    createRequire(import.meta.url),
    module,
    module.exports,
  );
  return module.exports;
}

/** The verdict and first error of a validator, as the callers use them. */
function verdict(v: ValidateFunction, value: unknown) {
  const ok = v(value);
  const e = v.errors?.[0];
  return { ok, first: e && { keyword: e.keyword, instancePath: e.instancePath, message: e.message } };
}

const LOCK = { stack: 's', user: 'u', machine: 'm', command: 'apply', since: '2026-01-01T00:00:00Z', pid: 7 };
const ALLOC = { stack: 's', key: 'k', name: 's_k', vni: 4096, subnet: '10.240.0.0/18', mtu: 1450 };
const cases: [string, Compiler, string, unknown][] = [
  ['stored', storedSchemaCompiler, 'lock', LOCK],
  ['stored', storedSchemaCompiler, 'lock', { ...LOCK, pid: -1 }],
  ['stored', storedSchemaCompiler, 'lock', { ...LOCK, user: 'me\u001b[2J' }],
  ['stored', storedSchemaCompiler, 'manifest', { number: 1 }],
  ['stored', storedSchemaCompiler, 'catalogNode', null],
  ['stored', storedSchemaCompiler, 'catalogNode', { Services: { a: { ID: 7 } } }],
  ['kv', kvSchemaCompiler, 'allocation', ALLOC],
  ['kv', kvSchemaCompiler, 'allocation', { ...ALLOC, vni: '4096 type vxlan id 1; reboot; #' }],
  ['kv', kvSchemaCompiler, 'slot', 'h1'],
  ['kv', kvSchemaCompiler, 'slot', 'h1; reboot'],
  ['schema', schemaCompiler, 'inventory', { hosts: { h1: { endpoint: 'unix:///run/docker.sock' } } }],
  ['schema', schemaCompiler, 'inventory', { hosts: { h1: { endpoint: 'ftp://x' } } }],
  ['schema', schemaCompiler, 'stack', { services: { web: { image: 'busybox', replicas: 'many' } } }],
];

test('precompiled validators decide as the ones compiled at run time', (t) => {
  const compilers = new Map<string, Compiler>(cases.map(([name, compiler]) => [name, compiler]));
  for (const [name, compiler] of compilers) {
    const precompiled = built(compiler);
    const { ajv, ids } = compiler();
    for (const [, , kind, value] of cases.filter((c) => c[0] === name)) {
      const runtime = ajv.getSchema(ids[kind]) as ValidateFunction;
      t.deepEqual(
        verdict(precompiled[kind], value),
        verdict(runtime, value),
        `${name} ${kind} ${JSON.stringify(value)}`,
      );
    }
  }
});

test('a precompiled file older than what it was made from is not used', (t) => {
  const file = path.join(dir, 'old.cjs');
  writeFileSync(file, 'exports.x = () => true;');
  const source = path.join(dir, 'source.js');
  writeFileSync(source, '');
  utimesSync(file, new Date(1_000_000), new Date(1_000_000));
  t.is(precompiledValidators(pathToFileURL(file), [pathToFileURL(source)]), undefined);
  utimesSync(file, new Date(), new Date(Date.now() + 60_000));
  t.truthy(precompiledValidators(pathToFileURL(file), [pathToFileURL(source)])?.x);
  t.is(precompiledValidators(pathToFileURL(path.join(dir, 'missing.cjs')), []), undefined);
});

test('a precompiled file runs with the code cache the build saves beside it, and one that does not fit is only refused', (t) => {
  const file = pathToFileURL(path.join(dir, 'cached.cjs'));
  writeFileSync(file, 'exports.even = (n) => n % 2 === 0;\nexports.odd = (n) => n % 2 === 1;');
  t.is(loadPrecompiled(file).cacheRejected, undefined, 'no cache yet');
  writeValidatorsCache(file, (v) => v.even(2));
  const loaded = loadPrecompiled(file);
  t.is(loaded.cacheRejected, false, 'V8 accepted the cache');
  t.true((loaded.exports.even as (n: number) => boolean)(4));
  // Another file with the first one's cache (a source V8 has not compiled in this process: its own compilation
  // cache would answer before the code cache is looked at).
  const other = pathToFileURL(path.join(dir, 'other.cjs'));
  writeFileSync(other, 'exports.odd = (n) => n % 2 === 1;');
  copyFileSync(cachePath(file), cachePath(other));
  const refused = loadPrecompiled(other);
  t.is(refused.cacheRejected, true);
  t.true((refused.exports.odd as (n: number) => boolean)(3));
});

test("the build's validators in dist/ (when built) come with code caches V8 accepts", (t) => {
  for (const file of ['schema-validators.cjs', 'stored-validators.cjs', 'kv-validators.cjs']) {
    const url = new URL(`../../../dist/${file}`, import.meta.url);
    if (!existsSync(url)) return t.pass('not built');
    t.is(loadPrecompiled(url).cacheRejected, false, `dist/${file}.cache`);
  }
});
