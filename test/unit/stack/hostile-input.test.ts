/**
 * Hostile stack inputs (issue #13), loaded in process: each attack of bench/hostile-cases.mjs — files outside the
 * project, FIFOs, devices, oversized files, alias bombs, merge-key chains, deep nesting and interpolation,
 * duplicate keys in a huge mapping, absurd replicas — ends in an error that says where, and no stack. The same
 * cases run through the CLI, timed and measured, in bench/hostile.mjs (no timing is asserted here).
 */
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { HOSTILE_CASES, materialise } from '../../../bench/hostile-cases.mjs';
import type { LoadOptions } from '../../../src/stack/index.js';
import { describe, errors, find, load, schema, where } from './helpers.js';
import { loadStack } from '../../../src/stack/index.js';
import { parseEnvFile } from '../../../src/stack/env-file.js';

/** The loader options the CLI would make of a case's arguments. */
function optionsOf(args: string[], dir: string): LoadOptions {
  const options: LoadOptions = { cwd: dir, env: {}, schema };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (flag === '-f') options.files = [...(options.files ?? []), value];
    else if (flag === '--env-file') options.envFiles = [...(options.envFiles ?? []), value];
    else if (flag === '--project-directory') options.projectDirectory = value;
    else if (flag === '-p') options.projectName = value;
    else throw new Error(`unknown flag ${flag}`);
  }
  return options;
}

for (const hostile of HOSTILE_CASES) {
  test(`${hostile.name}: ${hostile.attack} → an error with where`, async (t) => {
    const dir = materialise(hostile);
    try {
      const result = await loadStack(optionsOf(hostile.args ?? [], dir));
      t.is(result.value, undefined);
      const hit = errors(result).find((d) => hostile.expect.test(d.summary));
      t.truthy(hit, result.diagnostics.map(describe).join('\n'));
      if (hit) t.regex(where(hit), hostile.where);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a symlink that stays inside the project folder is read; one that leaves it is refused, naming its target', async (t) => {
  const r = await load(
    { 'compose.yaml': 'services:\n  web:\n    image: x\n    env_file: [a.env, b.env]\n', 'real/app.env': 'A=1\n' },
    {},
  );
  t.truthy(find(r, 'env_file a.env does not exist'));
  const dir = r.dir;
  symlinkSync('real/app.env', path.join(dir, 'a.env'));
  symlinkSync('/etc/hostname', path.join(dir, 'b.env'));
  const again = await loadStack({ cwd: dir, env: {}, schema });
  t.is(errors(again).length, 1, again.diagnostics.map(describe).join('\n'));
  t.is(
    find(again, 'env_file b.env is outside the project folder').summary,
    `env_file b.env is outside the project folder ${dir} (through a symlink, to /etc/hostname)`,
  );
  t.is(where(find(again, 'b.env')), 'compose.yaml:4:23 services.web.env_file[1]');
});

test('--project-directory: relative paths resolve against it, its .env is read, and files outside it are refused', async (t) => {
  const r = await load(
    {
      'stacks/compose.yaml':
        'services:\n  web:\n    image: "busybox:${TAG}"\n    env_file: app.env\nsecrets:\n  s: { file: stacks/compose.yaml }\n',
      'app.env': 'A=1\n',
      '.env': 'TAG=1.36\n',
    },
    { files: ['stacks/compose.yaml'], projectDirectory: '.', projectName: 'p' },
  );
  t.deepEqual(errors(r).map(describe), []);
  t.is(r.value?.services.web.image, 'busybox:1.36');
  t.is(r.value?.services.web.environment.A, '1');
  const inner = await loadStack({ cwd: r.dir, env: {}, schema, files: ['stacks/compose.yaml'], projectName: 'p' });
  t.truthy(find(inner, 'env_file app.env does not exist'));
});

test('a required: false env_file outside the project is still refused; a missing one inside is skipped', async (t) => {
  const r = await load({
    'compose.yaml':
      'services:\n  web:\n    image: x\n    env_file:\n      - { path: ../x.env, required: false }\n      - { path: gone.env, required: false }\n',
  });
  t.is(errors(r).length, 1);
  t.is(
    where(find(r, 'env_file ../x.env is outside the project folder')),
    'compose.yaml:5:17 services.web.env_file[0].path',
  );
});

test('env file errors never quote the file: a non-env file (here shadow-like lines) is reported by line only', async (t) => {
  const text = 'root:$6$saltsalt$hashhashhash:19000:0:99999:7:::\nA=${oops\nB C=1\n';
  const compose = parseEnvFile(text, 'x.env', () => undefined);
  const raw = parseEnvFile(text, 'x.env', () => undefined, 'raw');
  for (const d of [...compose.diagnostics, ...raw.diagnostics]) {
    t.false(/saltsalt|hashhash|oops|B C/.test(`${d.summary} ${d.hint ?? ''}`), d.summary);
  }
  t.deepEqual(
    compose.diagnostics.map((d) => d.where?.line),
    [1, 2, 3],
  );
  t.is(compose.diagnostics[1].summary, 'the value of A holds an invalid ${…} expression (the value is not shown)');
});

test('an operator file (-f, --env-file) may be anywhere, but must be a regular file under the cap', async (t) => {
  const r = await load({
    'sub/compose.yaml': 'services:\n  web:\n    image: "busybox:${TAG}"\n',
    'vars.env': 'TAG=1\n',
  });
  const ok = await loadStack({ cwd: path.join(r.dir, 'sub'), env: {}, schema, envFiles: ['../vars.env'] });
  t.deepEqual(errors(ok).map(describe), []);
  t.is(ok.value?.services.web.image, 'busybox:1');
  writeFileSync(path.join(r.dir, 'big.yaml'), `x-pad: "${'x'.repeat(4 * 1024 * 1024)}"\n`);
  const big = await loadStack({ cwd: r.dir, env: {}, schema, files: ['big.yaml'] });
  t.is(find(big, 'larger than 4 MiB').summary, 'stack file big.yaml is larger than 4 MiB');
});

test('limits: --max-replicas and --max-containers raise the caps; a global service counts one per host', async (t) => {
  const file =
    'services:\n  a: { image: x, deploy: { replicas: 1500 } }\n  b: { image: x, deploy: { mode: global } }\nx-stack:\n  hosts:\n    h1: { endpoint: "unix:///tmp/h1.sock" }\n    h2: { endpoint: "unix:///tmp/h2.sock" }\n';
  const capped = await load({ 'compose.yaml': file });
  t.is(
    where(find(capped, 'service a asks for 1500 replicas; the limit is 1000')),
    'compose.yaml:2:38 services.a.deploy.replicas',
  );
  const raised = await load({ 'compose.yaml': file }, { limits: { maxReplicas: 2000 } });
  t.deepEqual(errors(raised), []);
  const total = await load({ 'compose.yaml': file }, { limits: { maxReplicas: 2000, maxContainers: 1501 } });
  t.is(
    find(total, 'more than 1501 containers').summary,
    'the stack asks for more than 1501 containers (service b brings it to 1502)',
  );
  t.is(where(find(total, 'more than 1501 containers')), 'compose.yaml:3:34 services.b.deploy.mode');
});

test('YAML limits keep ordinary files working: anchors reused many times, merge keys, 100 levels of nesting', async (t) => {
  const services = Array.from({ length: 300 }, (_, i) => `  s${i}:\n    <<: *base\n    environment: *env\n`).join('');
  const r = await load({
    'compose.yaml': `x-env: &env { A: "1", B: "2" }\nx-base: &base\n  image: busybox\n  restart: always\nservices:\n${services}`,
  });
  t.deepEqual(errors(r).map(describe), []);
  t.is(Object.keys(r.value?.services ?? {}).length, 300);
  const nested = `x-deep: ${'['.repeat(95)}1${']'.repeat(95)}\nservices:\n  web: { image: x }\n`;
  t.deepEqual(errors(await load({ 'compose.yaml': nested })).map(describe), []);
});

test("the inventory (-i) is the operator's: anywhere, but a regular file", async (t) => {
  const r = await load({ 'compose.yaml': 'services:\n  web: { image: x }\n' });
  const dir = await load({ 'inv.yaml': 'hosts:\n  h1: { endpoint: "unix:///tmp/h1.sock" }\n' });
  const outside = await loadStack({ cwd: r.dir, env: {}, schema, inventory: path.join(dir.dir, 'inv.yaml') });
  t.deepEqual(errors(outside).map(describe), []);
  const device = await loadStack({ cwd: r.dir, env: {}, schema, inventory: '/dev/null' });
  t.is(
    find(device, 'inventory file').summary,
    'inventory file /dev/null is not a regular file (it is a character device)',
  );
});
