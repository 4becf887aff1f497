#!/usr/bin/env node
/**
 * Build step after tsc: bundles the compiled CLI (dist/cli/main.js and every package it imports) into one
 * file, dist/cli/bundle.cjs, which bin/stack.js runs when present. Node then resolves and parses one module
 * instead of several hundred: start-up drops by about half a second, most of a no-op apply's wall time.
 * A CommonJS file, not an ES module, so that bin/load-bundle.js can compile it with V8's code cache, which the
 * build's last step writes (scripts/code-cache.mjs: compiling the bundle was the largest part of a no-op's CPU after
 * Node's own start). import.meta.url becomes the bundle's file URL.
 * The bundle sits at the same depth as the modules, so paths relative to import.meta.url (schemas/, .sandbox/)
 * stay right. Native add-ons stay external.
 *
 * Left out of the bundle: dockerode's BuildKit session (gRPC, protobufjs) and docker-modem's SSH transport
 * (ssh2) — half the bundle's bytes, and stack uses neither (it never builds images; endpoints are unix:// and
 * tcp://). In the bundle they are replaced by modules that throw when called. The compiled modules (the
 * fallback bin/stack.js uses when the bundle is stale) still have them.
 */
import { readFileSync, rmSync } from 'node:fs';
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

/**
 * Node built-ins a run may not need (TLS, child processes, compression, readline, perf_hooks): required on first use
 * of one of their exports instead of when the bundle starts. Each one is a module of getters, one per export the
 * build's Node has, that loads the real one when read.
 */
const LAZY_BUILTINS = /^(node:)?(child_process|https|tls|zlib|perf_hooks|readline\/promises)$/;
const lazyBuiltins = {
  name: 'stack-lazy-builtins',
  setup(b) {
    b.onResolve({ filter: LAZY_BUILTINS }, (args) =>
      args.namespace === 'stack-lazy'
        ? { path: args.path, external: true }
        : { path: args.path.replace(/^node:/, ''), namespace: 'stack-lazy' },
    );
    b.onLoad({ filter: /.*/, namespace: 'stack-lazy' }, async (args) => {
      const keys = Object.getOwnPropertyNames(await import(`node:${args.path}`)).filter((k) => k !== 'default');
      return {
        contents:
          `let real; const load = () => (real ??= require(${JSON.stringify(`node:${args.path}`)}));\n` +
          `for (const key of ${JSON.stringify(keys)}) Object.defineProperty(exports, key, { enumerable: true, get: () => load()[key] });`,
        loader: 'js',
      };
    });
  },
};

await build({
  entryPoints: [new URL('../dist/cli/main.js', import.meta.url).pathname],
  outfile: new URL('../dist/cli/bundle.cjs', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['cpu-features', '*.node'],
  // The ES modules' import.meta.url: the bundle's own file URL (require and __filename come from the CommonJS wrapper).
  define: { 'import.meta.url': '__stackMetaUrl' },
  banner: { js: "const __stackMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [unused, lazyBuiltins],
  logLevel: 'warning',
  legalComments: 'none',
  minifyWhitespace: true,
});

// The client of `stack daemon` (src/cli/daemon/client.ts), which bin/stack.js loads before the CLI: its own small
// bundle, so that a command the daemon runs costs the client Node's start and little more.
await build({
  entryPoints: [new URL('../dist/cli/daemon/client.js', import.meta.url).pathname],
  outfile: new URL('../dist/cli/client.cjs', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
  legalComments: 'none',
  minifyWhitespace: true,
});

// ASCII only (esbuild escapes strings and identifiers; comments go with minifyWhitespace; a regular expression keeps
// what it is written with): bin/load-bundle.js reads the bundle as latin1, which is then the same text.
const bundleText = readFileSync(new URL('../dist/cli/bundle.cjs', import.meta.url), 'utf8');
const nonAscii = /[^\x00-\x7f]/.exec(bundleText);
if (nonAscii) {
  const around = bundleText.slice(Math.max(0, nonAscii.index - 60), nonAscii.index + 20);
  throw new Error(`bundle: dist/cli/bundle.cjs has a character outside ASCII (escape it in the source): …${around}…`);
}

// The bundle of an earlier build (an ES module) is not used any more.
rmSync(new URL('../dist/cli/bundle.js', import.meta.url), { force: true });
