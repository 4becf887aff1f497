#!/usr/bin/env node
/**
 * Build step after tsc: bundles the compiled CLI (dist/cli/main.js and every package it imports) into one
 * file, dist/cli/bundle.js, which bin/stack.js runs when present. Node then resolves and parses one module
 * instead of several hundred: start-up drops by about half a second, most of a no-op apply's wall time.
 * The bundle sits at the same depth as the modules, so paths relative to import.meta.url (schemas/, .sandbox/)
 * stay right. Native add-ons stay external.
 *
 * Left out of the bundle: dockerode's BuildKit session (gRPC, protobufjs) and docker-modem's SSH transport
 * (ssh2) — half the bundle's bytes, and stack uses neither (it never builds images; endpoints are unix:// and
 * tcp://). In the bundle they are replaced by modules that throw when called. The compiled modules (the
 * fallback bin/stack.js uses when the bundle is stale) still have them.
 */
import { build } from 'esbuild';

/** Modules the CLI never calls, replaced in the bundle by one that says so if it ever is. */
const unused = {
  name: 'stack-unused',
  setup(b) {
    b.onResolve({ filter: /^\.\/(session|ssh)$/ }, (args) =>
      /node_modules[\\/](dockerode|docker-modem)[\\/]/.test(args.importer)
        ? { path: args.path, namespace: 'stack-unused' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'stack-unused' }, (args) => ({
      contents: `module.exports = function unused() { throw new Error('stack: ${args.path.slice(2)} (BuildKit session or ssh:// transport) is not part of the stack bundle'); };`,
      loader: 'js',
    }));
  },
};

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
  plugins: [unused],
  logLevel: 'warning',
  legalComments: 'none',
});
