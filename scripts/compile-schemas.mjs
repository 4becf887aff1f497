#!/usr/bin/env node
/**
 * Build step after tsc: compiles the JSON Schemas a run validates against, with each loader's own ajv setup, into
 * standalone validation code in dist/, so the CLI does not compile them on every run (each costs tens to hundreds
 * of milliseconds: together most of a no-op apply's CPU). Tests, run from src/, compile them as before.
 * - dist/schema-validators.cjs: schemas/*.schema.json (the stack file, the inventory, reconcile.yaml);
 * - dist/stored-validators.cjs: what the state store holds (lock, revision manifest and record, catalog node);
 * - dist/kv-validators.cjs: the values of stack's own overlay in Consul's KV.
 * Each with V8's code cache beside it (FILE.cache, src/stack/precompiled.ts), made after the validators ran over the
 * examples' stack files (the stack schema) or an empty value (the others), so that what they ran is in it, compiled.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { parse } from 'yaml';
import { schemaCompiler } from '../dist/stack/schema.js';
import { storedSchemaCompiler } from '../dist/state/stored.js';
import { kvSchemaCompiler } from '../dist/overlay/kv-schema.js';
import { precompiledPath, writeValidatorsCache } from '../dist/stack/precompiled.js';

const examples = new URL('../examples/', import.meta.url);
const exampleStacks = () =>
  readdirSync(examples, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(new URL(`${d.name}/`, examples)).map((f) => new URL(`${d.name}/${f}`, examples)))
    .filter((url) => /compose\.ya?ml$/.test(url.pathname))
    .map((url) => parse(readFileSync(url, 'utf8')));

/** Runs every validator once on `{}`, and the stack schema's on each example's stack file. */
function warm(validators) {
  for (const validate of Object.values(validators)) validate({});
  if (validators.stack) for (const stack of exampleStacks()) validators.stack(stack);
  if (validators.inventory) validators.inventory({ hosts: { h1: { endpoint: 'unix:///run/docker.sock' } } });
}

for (const [file, compiler] of [
  ['schema-validators.cjs', schemaCompiler],
  ['stored-validators.cjs', storedSchemaCompiler],
  ['kv-validators.cjs', kvSchemaCompiler],
]) {
  const { ajv, ids } = compiler(true);
  writeFileSync(new URL(`../dist/${file}`, import.meta.url), standaloneCode.default(ajv, ids));
  writeValidatorsCache(precompiledPath(file), warm);
}
