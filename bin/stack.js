#!/usr/bin/env -S node --
// The `stack` command: runs the compiled CLI (npm ci / npm run build produce dist/) — its one-file bundle
// (scripts/bundle.mjs: faster start), compiled with V8's code cache (bin/load-bundle.js), when the build made one
// after the last tsc run, else the compiled modules.
// First it offers apply, plan and validate to this user's `stack daemon` when one listens (dist/cli/client.cjs, a
// small bundle of its own): that runs them without this process loading the CLI, up to their first write; every
// other case comes back here and runs as without a daemon (docs/daemon.md).
// `node --` in the first line: Node scans its whole argv for --env-file, script arguments included, and opens that
// file itself before any code runs (nodejs/node#54232: a FIFO would block, a missing file exits 9); after `--` it
// does not. Run it as `node -- bin/stack.js …` for the same reason.
// CommonJS (bin/package.json): Node starts a CommonJS entry without setting up its ES module loader (≈ 6 ms of CPU
// on every run, the no-op's included).
'use strict';
const { statSync } = require('node:fs');
const { fileURLToPath, pathToFileURL } = require('node:url');
const { loadBundle } = require('./load-bundle.js');

// A reader that stops early (`stack plan | head`) closes the pipe: stop quietly, as other CLIs do.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err) => (err.code === 'EPIPE' ? process.exit(0) : undefined));

const dist = (file) => new URL(`../dist/cli/${file}`, pathToFileURL(__filename));
const mtime = (url) => statSync(url, { throwIfNoEntry: false })?.mtimeMs ?? -1;

/** The daemon client's answer: an exit code, or undefined to run the command here. */
async function viaDaemon(argv, build) {
  if (mtime(dist('client.cjs')) < 0) return undefined;
  return require(fileURLToPath(dist('client.cjs'))).runViaDaemon(argv, build);
}

async function run() {
  const fresh = mtime(dist('bundle.cjs')) >= mtime(dist('main.js'));
  const entry = fresh ? dist('bundle.cjs') : dist('main.js');
  // Which build this is (the daemon serves only its own): the entry file, its mtime, Node's version.
  const build = `${fileURLToPath(entry)} ${mtime(entry)} ${process.version}`;
  const argv = process.argv.slice(2);
  const served = await viaDaemon(argv, build);
  if (served !== undefined) return void (process.exitCode = served);
  const { main } = fresh ? loadBundle(entry, dist('bundle.cache')).exports : await import(entry);
  const code = await main(argv, build);
  // Interrupted (130): leave now, without waiting for Engine calls still open after a hard stop.
  if (code === 130) process.exit(code);
  process.exitCode = code;
}
void run();
