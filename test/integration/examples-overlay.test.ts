/**
 * examples/web-db (the README's demo) works as its comments say, applied with the built CLI through the
 * inventory the sandbox writes: web on a role=web host serves what it fetched by name from db, on the role=db
 * host, over the engine overlay. (An *overlay* file: it runs in the suite's overlay phase.)
 */
import test from 'ava';
import { containersOf, eventually, sandbox, uniqueStack } from './reconcile-helpers.js';
import { ensureBuilt } from './cli-helpers.js';
import { applyExample, EXAMPLE_PORTS } from './examples-helpers.js';
import { Labels } from '../../src/labels.js';

test.before(() => ensureBuilt());

test('examples/web-db: web on a role=web host serves the page it fetched from db on h3 by name over the overlay', async (t) => {
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
});
