#!/usr/bin/env node
// The `stack` command: runs the compiled CLI (npm ci / npm run build produce dist/) — its one-file bundle
// (scripts/bundle.mjs: faster start) when the build made one after the last tsc run, else the compiled modules.
import { statSync } from 'node:fs';

// A reader that stops early (`stack plan | head`) closes the pipe: stop quietly, as other CLIs do.
for (const stream of [process.stdout, process.stderr]) stream.on('error', (err) => (err.code === 'EPIPE' ? process.exit(0) : undefined));

const mtime = (file) => statSync(new URL(file, import.meta.url), { throwIfNoEntry: false })?.mtimeMs ?? -1;
const fresh = mtime('../dist/cli/bundle.js') >= mtime('../dist/cli/main.js');
const { main } = await import(fresh ? '../dist/cli/bundle.js' : '../dist/cli/main.js');

const code = await main(process.argv.slice(2));
// Interrupted (130): leave now, without waiting for Engine calls still open after a hard stop.
if (code === 130) process.exit(code);
process.exitCode = code;
