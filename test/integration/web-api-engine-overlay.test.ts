/**
 * The web/api example of the vxlan-* tests, unchanged, on the default sandbox, whose daemons share a cluster
 * store: `x-stack.overlay: auto` picks the engine's overlay there, and web reaches both api replicas by name.
 * (Named *overlay*: test/run.sh runs it after `sandbox heal`, with the other engine-overlay tests.)
 */
import test from 'ava';
import {
  cleanup,
  deploy,
  desiredFor,
  describeOverlay,
  execIn,
  eventually,
  IMAGE,
  network,
  uniqueStack,
  docker,
} from './reconcile-helpers.js';
import { addressesIn, webApiServices } from './vxlan-helpers.js';

test('the same web/api stack on daemons with a cluster store: the engine overlay, api resolved and reached by name', async (t) => {
  const name = uniqueStack('e');
  const d = desiredFor(name, webApiServices(IMAGE()), 'tls', {
    networks: { default: network('default', name, { driver: 'overlay' }) },
  });
  cleanup(t, d);
  const first = await deploy(d);
  t.true(first.result?.ok, JSON.stringify(first.result?.failures));
  t.deepEqual(first.plan.overlay, [
    { network: 'default', mode: 'engine', why: 'every daemon has a cluster store (x-stack.overlay auto)' },
  ]);
  t.false(first.plan.operations.some((o) => o.kind.startsWith('overlay.')));
  t.is((await docker('h1').getNetwork(`${name}_default`).inspect()).Driver, 'overlay');
  const web = `${name}-web-1`;
  const explain = () => describeOverlay(`${name}_default`, { host: 'h1', container: web, lookup: 'api' });
  const found = await eventually(
    async () => {
      const r = addressesIn((await execIn('h1', web, ['nslookup', 'api'])).output);
      return r.length === 2 && r;
    },
    20_000,
    'api to resolve to two addresses',
    explain,
  );
  t.is(found.length, 2);
  const seen = new Set<string>();
  await eventually(
    async () => {
      const r = await execIn('h1', web, ['sh', '-c', 'timeout 5 wget -qO- http://api:8080/']);
      if (r.exitCode === 0) seen.add(r.output.trim());
      return seen.size === 2;
    },
    30_000,
    'both api replicas to answer',
    explain,
  );
  t.is(seen.size, 2);
});
