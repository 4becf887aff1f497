#!/usr/bin/env node
/**
 * Cold-apply ratios pooled over every run on record (issue 20): the growth runs' and the cold-shape runs' repetitions,
 * each peer against its reference of the same repetition, as a geometric mean with a 95 % interval
 * (bench/lib/pooled.mjs). Reads the result files named, or those under bench/results/ whose names match --match.
 *   node bench/pooled.mjs [--match REGEX] [FILE.json …]
 * e.g. `node bench/pooled.mjs --match '^growth-2026-12-07'`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pairsOf, pooled, pooledTable } from './lib/pooled.mjs';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results');
const { values: args, positionals } = parseArgs({
  options: { match: { type: 'string', default: '^(growth-2|cold-shape-).*\\.json$' } },
  allowPositionals: true,
});
const pattern = new RegExp(args.match);
const files = positionals.length
  ? positionals
  : readdirSync(RESULTS)
      .filter((f) => pattern.test(f) && f.endsWith('.json'))
      .sort()
      .map((f) => join(RESULTS, f));
const pairs = files.flatMap((f) => pairsOf(JSON.parse(readFileSync(f, 'utf8'))));
console.log(`${files.length} files, ${pairs.length} pairs\n`);
console.log(pooledTable(pooled(pairs)));
