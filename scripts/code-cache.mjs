#!/usr/bin/env node
/**
 * The build's last step (after the bundle and the precompiled validators, so that the warm-up uses those and the
 * cache holds the code a run executes, not the schema compiler): dist/cli/bundle.cache, V8's code cache of the
 * bundle, made after it ran a validate and two plans (scripts/warm-workload.mjs). A run then finds that code compiled
 * instead of compiling it function by function. A warm-up that fails leaves a colder cache, not a broken one.
 */
import { writeCodeCache } from '../bin/load-bundle.js';
import { warmWorkload } from './warm-workload.mjs';

const failures = await writeCodeCache(
  new URL('../dist/cli/bundle.cjs', import.meta.url),
  new URL('../dist/cli/bundle.cache', import.meta.url),
  (cli) => warmWorkload(cli.main),
);
for (const failure of failures) console.error(`code-cache: the warm-up: ${failure} (the cache is only colder)`);
