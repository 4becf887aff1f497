/** A stack folder must be a real folder of the checkout: missing, or a symlink out of it, is refused before loading. */
import test from 'ava';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTarget, stackFolder } from '../../../src/gitops/stack-load.js';

function checkout(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'stack-checkout-'));
  mkdirSync(path.join(root, 'repo', 'web'), { recursive: true });
  mkdirSync(path.join(root, 'outside'));
  symlinkSync(path.join(root, 'outside'), path.join(root, 'repo', 'escape'));
  symlinkSync('web', path.join(root, 'repo', 'alias'));
  return path.join(root, 'repo');
}

test('a folder inside the checkout, also through a symlink that stays inside, is accepted', (t) => {
  const dir = checkout();
  t.is(stackFolder(dir, { path: 'web', inventory: '/i' }), path.join(dir, 'web'));
  t.is(stackFolder(dir, { path: 'alias', inventory: '/i' }), path.join(dir, 'web'));
});

test('a symlink out of the checkout, or a missing folder, is refused with what to do', async (t) => {
  const dir = checkout();
  const escape = stackFolder(dir, { path: 'escape', inventory: '/i' });
  t.like(escape, { severity: 'error' });
  t.regex(typeof escape === 'string' ? '' : escape.summary, /leads outside the repository/);
  const missing = await loadTarget(dir, { path: 'nope', inventory: '/i' }, {});
  t.is(missing.value, undefined);
  t.regex(missing.diagnostics[0].summary, /has no folder nope/);
});
