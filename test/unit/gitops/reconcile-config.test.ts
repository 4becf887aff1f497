/**
 * reconcile.yaml and the reconcile command's flags: a good file becomes the agent's settings (the operator's paths
 * resolved against the file's folder, flags winning); every mistake is one diagnostic with file:line:col, all at once.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readReconcileFile } from '../../../src/stack/reconcile-file.js';
import { schema } from '../stack/helpers.js';
import { reconcileSettings } from '../../../src/cli/reconcile-settings.js';
import { ExitError, type Diagnostic } from '../../../src/errors.js';

function file(text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-reconcile-yaml-'));
  const f = path.join(dir, 'reconcile.yaml');
  writeFileSync(f, text);
  return f;
}

const GOOD = `repo: https://git.example.com/ops/deploy.git
ref: main
interval: 30s
drift: repair
inventory: inventories/prod.yaml
webhook: { listen: ":9090", secret_env: HOOK_SECRET }
stacks:
  - path: web
    env_files: [env/web.env]
  - path: jobs/nightly
    project_name: nightly
    inventory: /etc/stack/jobs.yaml
`;

test('a good reconcile.yaml: paths resolved against its folder, the rest as written', (t) => {
  const f = file(GOOD);
  const dir = path.dirname(f);
  const read = readReconcileFile(f, schema);
  t.deepEqual(read.diagnostics, []);
  t.deepEqual(read.value, {
    repo: 'https://git.example.com/ops/deploy.git',
    ref: 'main',
    interval: '30s',
    drift: 'repair',
    inventory: path.join(dir, 'inventories/prod.yaml'),
    webhook: { listen: ':9090', secretEnv: 'HOOK_SECRET' },
    stacks: [
      { path: 'web', envFiles: [path.join(dir, 'env/web.env')] },
      { path: 'jobs/nightly', projectName: 'nightly', inventory: '/etc/stack/jobs.yaml' },
    ],
  });
});

test('the example deploy/gitops/reconcile.yaml is valid', (t) => {
  const example = fileURLToPath(new URL('../../../deploy/gitops/reconcile.yaml', import.meta.url));
  const read = readReconcileFile(example, schema);
  t.deepEqual(read.diagnostics, []);
  t.is(read.value?.stacks.length, 2);
});

test('every mistake in reconcile.yaml is reported at once, with its line and column', (t) => {
  const f = file(`repo: "-upload-pack=evil"
ref: "../x"
interval: soon
drift: fix
stacks:
  - path: ../outside
  - path: /abs
  - { path: web, inventroy: x.yaml }
`);
  const { value, diagnostics } = readReconcileFile(f, schema);
  t.is(value, undefined);
  const at = (d: Diagnostic) => `${d.where?.line}:${d.where?.column} ${d.summary}`;
  const lines = diagnostics.map(at);
  t.true(
    lines.some((l) => l.startsWith('1:7 ') && l.includes('git URL')),
    lines.join('\n'),
  );
  t.true(
    lines.some((l) => l.startsWith('2:6 ') && l.includes('branch name')),
    lines.join('\n'),
  );
  t.true(
    lines.some((l) => l.startsWith('3:11 ') && l.includes('duration')),
    lines.join('\n'),
  );
  t.true(
    lines.some((l) => l.startsWith('4:8 ') && l.includes('report or repair')),
    lines.join('\n'),
  );
  t.true(
    lines.some((l) => l.startsWith('6:11 ') && l.includes('inside the repository')),
    lines.join('\n'),
  );
  t.true(
    lines.some((l) => l.startsWith('7:11 ') && l.includes('inside the repository')),
    lines.join('\n'),
  );
  t.true(
    lines.some((l) => l.startsWith('8:18 ') && l.includes('inventroy')),
    lines.join('\n'),
  );
  t.true(diagnostics.every((d) => d.severity === 'error' && d.where?.file === f));
});

test('a reconcile.yaml without stacks, or missing, is refused', (t) => {
  const none = readReconcileFile(file('repo: file:///srv/git/r.git\nstacks: []\n'), schema);
  t.true(none.diagnostics.some((d) => d.summary.includes('at least one stack')));
  const missing = readReconcileFile('/nonexistent/reconcile.yaml', schema);
  t.regex(missing.diagnostics[0].summary, /does not exist/);
});

function settingsError(opts: Parameters<typeof reconcileSettings>[0], env = {}): string[] {
  try {
    reconcileSettings(opts, env);
  } catch (err) {
    if (err instanceof ExitError) return err.diagnostics.map((d) => d.summary);
    throw err;
  }
  return [];
}

test('flags win over the file; --stack replaces its stacks and takes -i', (t) => {
  const f = file(GOOD);
  const s = reconcileSettings(
    { config: f, ref: 'v*', interval: '2s', stack: ['app'], inventory: '/etc/inv.yaml', workDir: '/tmp/w' },
    { HOOK_SECRET: 'x' },
  );
  t.is(s.config.ref, 'v*');
  t.is(s.config.intervalMs, 2000);
  t.is(s.config.drift, 'repair');
  t.deepEqual(s.config.stacks, [{ path: 'app', inventory: '/etc/inv.yaml' }]);
  t.deepEqual(s.listen, { port: 9090 });
  t.deepEqual(s.secret, Buffer.from('x'));
});

test('the command refuses, all at once: no repository, no inventory, a bad interval, drift, listen, ref, a missing secret', (t) => {
  const problems = settingsError({
    stack: ['web', '../up'],
    interval: '10ms',
    drift: 'fix',
    listen: 'nine',
    ref: '-x',
    webhookSecretEnv: 'NOPE',
  });
  for (const words of [
    'no repository to watch',
    'stack web has no inventory',
    '--stack ../up: not a folder inside the repository',
    '--interval 10ms',
    '--drift fix',
    '--listen nine',
    '--ref -x',
    'NOPE',
  ])
    t.true(
      problems.some((p) => p.includes(words)),
      `${words}\n${problems.join('\n')}`,
    );
});

test('STACK_INVENTORY is the default inventory; a stack listed twice is refused', (t) => {
  const s = reconcileSettings({ repo: 'file:///r.git', stack: ['web'] }, { STACK_INVENTORY: '/inv.yaml' });
  t.is(s.config.stacks[0].inventory, '/inv.yaml');
  t.deepEqual(settingsError({ repo: 'file:///r.git', stack: ['web', 'web'], inventory: '/i.yaml' }), [
    'stack web is listed twice',
  ]);
});
