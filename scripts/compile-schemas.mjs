#!/usr/bin/env node
/**
 * Build step after tsc: compiles schemas/*.schema.json with the loader's own ajv setup into standalone
 * validation code, dist/schema-validators.cjs, so the CLI does not compile the schemas on every run
 * (hundreds of milliseconds: most of a no-op apply). Tests, run from src/, compile them as before.
 */
import { writeFileSync } from 'node:fs';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { schemaCompiler } from '../dist/stack/schema.js';

const { ajv, ids } = schemaCompiler(true);
const code = standaloneCode.default(ajv, ids);
writeFileSync(new URL('../dist/schema-validators.cjs', import.meta.url), code);
