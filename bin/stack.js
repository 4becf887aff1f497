#!/usr/bin/env node
// The `stack` command: runs the compiled CLI (npm ci / npm run build produce dist/) — its one-file bundle when the
// build made one (faster start: scripts/bundle.mjs), else the compiled modules.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli/bundle.js', import.meta.url);
const { main } = await import(existsSync(bundle) ? bundle.href : '../dist/cli/main.js');

const code = await main(process.argv.slice(2));
// Interrupted (130): leave now, without waiting for Engine calls still open after the grace time.
if (code === 130) process.exit(code);
process.exitCode = code;
