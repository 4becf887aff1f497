#!/usr/bin/env node
/**
 * Build step after tsc: bundles the compiled CLI (dist/cli/main.js and every package it imports) into one
 * file, dist/cli/bundle.js, which bin/stack.js runs when present. Node then resolves and parses one module
 * instead of several hundred: start-up drops by about half a second, most of a no-op apply's wall time.
 * The bundle sits at the same depth as the modules, so paths relative to import.meta.url (schemas/, .sandbox/)
 * stay right. Native add-ons (ssh2's optional ones) stay external and load as before.
 */
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('../dist/cli/main.js', import.meta.url).pathname],
  outfile: new URL('../dist/cli/bundle.js', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['cpu-features', '*.node'],
  // CommonJS packages inside an ES module bundle still call require and read __dirname.
  banner: {
    js: "import { createRequire as __stackRequire } from 'node:module'; import { fileURLToPath as __stackPath } from 'node:url'; import { dirname as __stackDir } from 'node:path'; const require = __stackRequire(import.meta.url); const __filename = __stackPath(import.meta.url); const __dirname = __stackDir(__filename);",
  },
  logLevel: 'warning',
  legalComments: 'none',
});
