#!/usr/bin/env node
/**
 * Build step after tsc: compiles the JSON Schemas a run validates against, with each loader's own ajv setup, into
 * standalone validation code in dist/, so the CLI does not compile them on every run (each costs tens to hundreds
 * of milliseconds: together most of a no-op apply's CPU). Tests, run from src/, compile them as before.
 * - dist/schema-validators.cjs: schemas/*.schema.json (the stack file, the inventory, reconcile.yaml);
 * - dist/stored-validators.cjs: what the state store holds (lock, revision manifest and record, catalog node);
 * - dist/kv-validators.cjs: the values of stack's own overlay in Consul's KV.
 */
import { writeFileSync } from 'node:fs';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { schemaCompiler } from '../dist/stack/schema.js';
import { storedSchemaCompiler } from '../dist/state/stored.js';
import { kvSchemaCompiler } from '../dist/overlay/kv-schema.js';

for (const [file, compiler] of [
  ['schema-validators.cjs', schemaCompiler],
  ['stored-validators.cjs', storedSchemaCompiler],
  ['kv-validators.cjs', kvSchemaCompiler],
]) {
  const { ajv, ids } = compiler(true);
  writeFileSync(new URL(`../dist/${file}`, import.meta.url), standaloneCode.default(ajv, ids));
}
