/**
 * The examples in examples/ work as their comments say, applied with the built CLI through the inventory the
 * sandbox writes (tcp+TLS, Consul): replicated's placement by host labels, volume-secret's secret and volume.
 * (web-db, on an engine overlay, is in examples-overlay.test.ts.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { containersOf, eventually, execIn, uniqueStack } from './reconcile-helpers.js';
import { ensureBuilt, runStack } from './cli-helpers.js';
import { applyExample, example } from './examples-helpers.js';
import { Labels } from '../../src/labels.js';

test.before(() => ensureBuilt());

const placed = async (stack: string) =>
  [...(await containersOf(stack)).values()]
    .map((c) => `${c.info.Labels[Labels.service]} ${c.host} ${c.info.State}`)
    .sort();

test('examples/replicated: api on each pool=main host, front on the role=web hosts; a second apply has nothing to do', async (t) => {
  const stack = uniqueStack('exrep');
  const { dir, args, env } = await applyExample(t, 'replicated', stack);
  t.deepEqual(await placed(stack), [
    'api h1 running',
    'api h2 running',
    'api h3 running',
    'front h1 running',
    'front h2 running',
  ]);
  const plan = await runStack(['plan', '--detailed-exitcode', ...args], dir, env);
  t.is(plan.code, 0, plan.stdout + plan.stderr);
});

test('examples/volume-secret: the file secret is mounted read-only for the owner and its content lands in the named volume', async (t) => {
  const stack = uniqueStack('exsec');
  await applyExample(t, 'volume-secret', stack);
  t.deepEqual(await placed(stack), ['app h1 running']);
  const token = readFileSync(path.join(path.dirname(example('volume-secret')), 'api-token.txt'), 'utf8');
  const c = [...(await containersOf(stack)).values()][0];
  // The container's own command copies the secret into the volume once it runs: wait for it to have.
  t.is(
    await eventually(
      async () => (await execIn('h1', c.info.Id, ['cat', '/data/seen'])).output || undefined,
      20_000,
      'the copy in the volume',
    ),
    token,
  );
  t.is((await execIn('h1', c.info.Id, ['stat', '-c', '%a', '/run/secrets/api_token'])).output.trim(), '400');
  t.true(c.info.Mounts.some((m) => m.Type === 'volume' && m.Name === `${stack}_appdata` && m.Destination === '/data'));
});

test('examples/build: web on each pool=main host and api twice, by digest, serving what was built; a second plan has nothing to do', async (t) => {
  const stack = uniqueStack('exbld');
  const { dir, args, env } = await applyExample(t, 'build', stack);
  const running = [...(await containersOf(stack)).values()];
  t.deepEqual(running.map((c) => `${c.info.Labels[Labels.service]} ${c.host}`).sort(), [
    'api h1',
    'api h2',
    'web h1',
    'web h2',
    'web h3',
  ]);
  for (const c of running)
    t.regex(c.info.Image, new RegExp(`/${stack}-${c.info.Labels[Labels.service]}@sha256:[0-9a-f]{64}$`));
  const web = running.find((c) => c.info.Labels[Labels.service] === 'web')!;
  t.is((await execIn(web.host, web.info.Id, ['cat', '/www/greeting.txt'])).output.trim(), 'hello from web');
  t.not((await execIn(web.host, web.info.Id, ['test', '-e', '/www/draft.html'])).exitCode, 0);
  const plan = await runStack(['plan', '--detailed-exitcode', ...args], dir, env);
  t.is(plan.code, 0, plan.stdout + plan.stderr);
});
