#!/usr/bin/env -S node --
// The `stack` command: runs the compiled CLI (npm ci / npm run build produce dist/) — its one-file bundle
// (scripts/bundle.mjs: faster start), compiled with V8's code cache (bin/load-bundle.js), when the build made one
// after the last tsc run, else the compiled modules.
// `node --` in the first line: Node scans its whole argv for --env-file, script arguments included, and opens that
// file itself before any code runs (nodejs/node#54232: a FIFO would block, a missing file exits 9); after `--` it
// does not. Run it as `node -- bin/stack.js …` for the same reason.
// CommonJS (bin/package.json): Node starts a CommonJS entry without setting up its ES module loader (≈ 6 ms of CPU
// on every run, the no-op's included).
'use strict';
const { statSync } = require('node:fs');
const { pathToFileURL } = require('node:url');
const { loadBundle } = require('./load-bundle.js');

// A reader that stops early (`stack plan | head`) closes the pipe: stop quietly, as other CLIs do.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err) => (err.code === 'EPIPE' ? process.exit(0) : undefined));

const dist = (file) => new URL(`../dist/cli/${file}`, pathToFileURL(__filename));
const mtime = (url) => statSync(url, { throwIfNoEntry: false })?.mtimeMs ?? -1;

async function run() {
  const fresh = mtime(dist('bundle.cjs')) >= mtime(dist('main.js'));
  const { main } = fresh ? loadBundle(dist('bundle.cjs'), dist('bundle.cache')).exports : await import(dist('main.js'));
  const code = await main(process.argv.slice(2));
  // Interrupted (130): leave now, without waiting for Engine calls still open after a hard stop.
  if (code === 130) process.exit(code);
  process.exitCode = code;
}
void run();
