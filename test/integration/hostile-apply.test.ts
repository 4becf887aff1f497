/**
 * The hostile-input suite on the sandbox (issue #13): every case of bench/hostile-cases.mjs — alias bombs, merge
 * chains, files outside the project, FIFOs, /dev/zero, replicas beyond the cap … — given to `stack apply --yes` with
 * the operator's inventory of real hosts: exit 1 with the case's error and where, no stack trace, and not one write
 * event on any host. (test/unit/stack/hostile-input.test.ts checks the same cases' diagnostics in process.)
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { HOSTILE_CASES, materialise } from '../../bench/hostile-cases.mjs';
import { bin, ensureBuilt, inventoryYaml, sandboxHosts, stateDir, writeDir } from './cli-helpers.js';
import { eventWindowStart, stackEvents } from './reconcile-helpers.js';

test.before(() => ensureBuilt());

/** `node -- bin/stack.js ARGS` (node itself would open an --env-file FIFO before stack runs: nodejs/node#54232). */
function applyIn(dir: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--', bin, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', NO_COLOR: '1', STACK_STATE_DIR: stateDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr });
    }),
  );
}

test("every hostile input given to apply with the operator's inventory: exit 1 with its error and where, no stack trace, no write on any host", async (t) => {
  const inventory = path.join(
    writeDir({ 'inventory.yaml': inventoryYaml(sandboxHosts(['h1', 'h2', 'h3'])) }),
    'inventory.yaml',
  );
  const since = await eventWindowStart();
  for (const hostile of HOSTILE_CASES) {
    const dir = materialise(hostile);
    writeFileSync(path.join(dir, 'README'), `hostile case ${hostile.name}\n`);
    const r = await applyIn(dir, ['apply', '--yes', '-i', inventory, ...(hostile.args ?? [])]);
    t.is(r.code, 1, `${hostile.name} (${hostile.attack}): ${r.stderr.slice(0, 300)}`);
    t.regex(r.stderr, hostile.expect, hostile.name);
    t.notRegex(r.stderr, /\n\s+at .+:\d+:\d+\)?\n/, `${hostile.name}: no stack trace`);
  }
  t.deepEqual(await stackEvents('stack-hostile', since), [], 'nothing written on any host');
});
