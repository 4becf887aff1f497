/**
 * Network checks and external networks on real daemons (no overlay network is created here): a fixed subnet
 * that overlaps a network existing on the hosts, and an external network that does not exist, are refused at
 * plan time; an existing external network is used, and neither apply nor destroy creates or removes it.
 */
import test from 'ava';
import {
  cleanup,
  containersOf,
  deploy,
  desiredFor,
  docker,
  inspect,
  network,
  service,
  stackEvents,
  uniqueStack,
  IMAGE,
  eventWindowStart,
  planStack,
} from './reconcile-helpers.js';

const errors = (p: { diagnostics: { severity: string; summary: string }[] }) =>
  p.diagnostics.filter((d) => d.severity === 'error').map((d) => d.summary);

test('a fixed subnet overlapping networks that exist on the hosts is a plan-time error naming both', async (t) => {
  const name = uniqueStack('sub');
  const subnets = await Promise.all(
    ['h1', 'h2', 'h3'].map(async (h) => (await docker(h).getNetwork('bridge').inspect()).IPAM?.Config?.[0]?.Subnet),
  );
  t.true(
    subnets.every((s) => !!s && s.startsWith('172.31.')),
    `sandbox bridges are 172.31.N.0/24: ${subnets.join(' ')}`,
  );
  const d = desiredFor(name, [service('web', { image: IMAGE() })], 'socket', {
    networks: { default: network('default', name, { ipam: { config: [{ subnet: '172.31.0.0/16' }] } }) },
  });
  const { plan } = await planStack(d);
  t.deepEqual(errors(plan), [
    `network default: subnet 172.31.0.0/16 overlaps existing networks ${subnets.map((s, i) => `bridge (${s}) on h${i + 1}`).join('; ')}`,
  ]);
});

test('an external network that does not exist is a plan-time error; one that exists is used and never removed', async (t) => {
  const name = uniqueStack('ext');
  const missing = desiredFor(
    name,
    [service('web', { image: IMAGE(), networks: { outside: { aliases: [] } } })],
    'socket',
    {
      networks: { outside: network('outside', name, { name: `${name}-nowhere`, external: true, driver: '' }) },
    },
  );
  t.deepEqual(errors((await planStack(missing)).plan), [
    `external network ${name}-nowhere (networks.outside) does not exist on h1`,
  ]);

  const d = desiredFor(
    name,
    [
      service('web', {
        image: IMAGE(),
        command: ['sleep', '3600'],
        stopGracePeriodNs: 1e9,
        networks: { outside: { aliases: [] } },
        deploy: { mode: 'global' },
      }),
    ],
    'socket',
    {
      networks: { outside: network('outside', name, { name: 'bridge', external: true, driver: '' }) },
    },
  );
  cleanup(t, d);
  const since = await eventWindowStart();
  const r = await deploy(d);
  t.true(r.result?.ok, JSON.stringify(r.result?.failures));
  t.false(r.plan.operations.some((o) => o.kind.startsWith('network.')));
  const found = await containersOf(name);
  t.is(found.size, 3);
  for (const [n, c] of found) t.deepEqual(Object.keys((await inspect(c.host, n)).NetworkSettings.Networks), ['bridge']);
  const gone = await deploy(d, { destroy: true });
  t.false(gone.plan.operations.some((o) => o.kind.startsWith('network.')));
  t.deepEqual(
    (await stackEvents(name, since)).filter((e) => e.Type === 'network' && /create|destroy|remove/.test(e.Action)),
    [],
  );
  for (const h of ['h1', 'h2', 'h3']) t.truthy(await docker(h).getNetwork('bridge').inspect());
});
