/**
 * The build's one-file bundle and its V8 code cache (scripts/bundle.mjs, bin/load-bundle.js): V8 accepts the cache
 * on this Node (else every run would compile 3 MB again), and the bundle runs a command as the modules do.
 * Needs `npm run build` first (npm test builds before running the tests).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadBundle } from '../../../bin/load-bundle.js';

const dist = (file: string) => new URL(`../../../dist/cli/${file}`, import.meta.url);
type Loaded = { exports: { main: (argv: string[]) => Promise<number> }; script: { cachedDataRejected?: boolean } };

test('the bundle is compiled from the code cache the build wrote, and runs a command', async (t) => {
  for (const file of ['bundle.cjs', 'bundle.cache'])
    t.truthy(statSync(dist(file), { throwIfNoEntry: false }), `dist/cli/${file} is missing: run npm run build`);
  const loaded = loadBundle(dist('bundle.cjs'), dist('bundle.cache')) as unknown as Loaded;
  t.is(loaded.script.cachedDataRejected, false, 'V8 accepted the code cache');
  // Hosts of its own with the example's placement labels: whatever this machine has (a sandbox, a Docker socket)
  // must not decide the outcome. `validate` reads no host.
  const dir = mkdtempSync(join(tmpdir(), 'stack-bundle-'));
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    'hosts:\n  a: { endpoint: "unix:///nonexistent/a.sock", labels: { role: web } }\n' +
      '  b: { endpoint: "unix:///nonexistent/b.sock", labels: { role: db } }\n',
  );
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string) => out.push(String(chunk)) > 0;
  try {
    t.is(await loaded.exports.main(['validate', '-i', inventory, '-f', 'examples/web-db/compose.yaml']), 0);
  } finally {
    process.stdout.write = write;
    rmSync(dir, { recursive: true, force: true });
  }
  t.regex(out.join(''), /^OK web-db: 2 services/);
});

test('a run loads TLS, child processes, compression and readline only when it uses them', (t) => {
  // A preload that writes the built-in modules the process loaded, as it exits.
  const dir = mkdtempSync(join(tmpdir(), 'stack-builtins-'));
  const preload = join(dir, 'loaded.cjs');
  const file = join(dir, 'compose.yaml');
  writeFileSync(file, 'services:\n  web:\n    image: busybox:1.35\n');
  writeFileSync(
    preload,
    'process.on("exit", () => process.stderr.write("\\nLOADED " + process.moduleLoadList.join(",")));',
  );
  try {
    const run = spawnSync(process.execPath, ['-r', preload, '--', 'bin/stack.js', 'validate', '-f', file], {
      encoding: 'utf8',
    });
    t.is(run.status, 0, run.stderr);
    const loaded = new Set(/LOADED (.*)$/m.exec(run.stderr)![1].split(','));
    t.true(loaded.has('NativeModule http'), 'the list is read (http is loaded at start)');
    for (const name of ['tls', 'https', 'zlib', 'child_process', 'readline/promises'])
      t.false(loaded.has(`NativeModule ${name}`), `${name} is not loaded by a validate`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
