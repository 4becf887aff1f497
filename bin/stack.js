#!/usr/bin/env node
// The `stack` command: runs the compiled CLI (npm ci / npm run build produce dist/).
import { main } from '../dist/cli/main.js';

const code = await main(process.argv.slice(2));
// Interrupted (130): leave now, without waiting for Engine calls still open after the grace time.
if (code === 130) process.exit(code);
process.exitCode = code;
