/**
 * The examples' checks, one function per example, registered by examples.test.ts and examples-overlay.test.ts on the
 * default sandbox (Engine 20.10, engine overlay) and by examples-vx.test.ts on the `vx` instance (Engine 28, no
 * cluster store: stack's own overlay). Every helper reads the sandbox it runs on when called (STACK_SANDBOX_JSON).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { containersOf, eventually, execIn, sandbox, uniqueStack } from './reconcile-helpers.js';
import { runStack } from './cli-helpers.js';
import { applyExample, example, EXAMPLE_PORTS } from './examples-helpers.js';
import { Labels } from '../../src/labels.js';

export const REPLICATED =
  'examples/replicated: api on each pool=main host, front on the role=web hosts; a second apply has nothing to do';
export const VOLUME_SECRET =
  'examples/volume-secret: the file secret is mounted read-only for the owner and its content lands in the named volume';
export const BUILD =
  'examples/build: web on each pool=main host and api twice, by digest, serving what was built; a second plan has nothing to do';
export const WEB_DB =
  'examples/web-db: web on a role=web host serves the page it fetched from db on h3 by name over the overlay';

const placed = async (stack: string) =>
  [...(await containersOf(stack)).values()]
    .map((c) => `${c.info.Labels[Labels.service]} ${c.host} ${c.info.State}`)
    .sort();

export async function replicated(t: ExecutionContext): Promise<void> {
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
}

export async function volumeSecret(t: ExecutionContext): Promise<void> {
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
}

export async function build(t: ExecutionContext): Promise<void> {
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
}

export async function webDb(t: ExecutionContext): Promise<void> {
  const stack = uniqueStack('exwdb');
  await applyExample(t, 'web-db', stack);
  const found = [...(await containersOf(stack)).values()].map((c) => ({
    service: c.info.Labels[Labels.service],
    host: c.host,
    state: c.info.State,
  }));
  const web = found.find((c) => c.service === 'web')!;
  t.like(
    found.find((c) => c.service === 'db'),
    { host: 'h3', state: 'running' },
  );
  t.true(['h1', 'h2'].includes(web.host), `web runs on ${web.host}`);
  const ip = sandbox().hosts.find((h) => h.name === web.host)!.ip;
  const page = await eventually(
    async () => {
      const res = await fetch(`http://${ip}:${EXAMPLE_PORTS['web-db']}/backend.html`, {
        signal: AbortSignal.timeout(5_000),
      }).catch(() => undefined);
      return res?.ok ? (await res.text()).trim() : undefined;
    },
    60_000,
    `web on ${web.host} to serve db's page`,
  );
  t.is(page, 'db-ok');
}
