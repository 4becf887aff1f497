/**
 * Traffic through a start-first rolling update on an engine overlay (daemons with a cluster store; names from
 * Docker's embedded DNS): a client on h1 requests `api` (3 replicas with a healthcheck, on h2 and h3) by name.
 * Docker's DNS can drop a name only by disconnecting the endpoint, so stack admits a new replica to the
 * service's aliases only once healthy and takes the old one off the network before it stops (the order is
 * asserted from the hosts' events); a request in flight at that moment can still fail (docs/rollouts.md), so
 * the zero-failure test of a successful update runs on stack's own overlay (vxlan-rollout-traffic.test.ts).
 * A version failing its healthcheck never joins the names: zero failed requests here too.
 * Named *overlay* so it runs last, after `sandbox heal`; it pulls no image.
 */
import test, { type ExecutionContext } from 'ava';
import type { DesiredState, ServiceSpec, UpdateConfigSpec } from '../../src/stack/types.js';
import { Labels } from '../../src/labels.js';
import {
  deploy,
  desiredFor,
  docker,
  eventually,
  execIn,
  hostEvents,
  network,
  service,
  uniqueStack,
  IMAGE,
  eventWindowStart,
} from './reconcile-helpers.js';
import { assertRolledBackUnnoticed, TrafficClient } from './traffic-helpers.js';

const stacks: DesiredState[] = [];
test.after.always('remove the stacks', async () => {
  for (const d of stacks) await deploy(d, { destroy: true, pruneVolumes: true }).catch(() => undefined);
});

const notOn = (h: string) => ({
  constraints: [{ field: 'node.hostname', op: '!=' as const, value: h, text: `node.hostname != ${h}` }],
});
const on = (h: string) => ({
  constraints: [{ field: 'node.hostname', op: '==' as const, value: h, text: `node.hostname == ${h}` }],
});
const update = (over: Partial<UpdateConfigSpec>): UpdateConfigSpec => ({
  parallelism: 1,
  delayNs: 0,
  failureAction: 'rollback',
  monitorNs: 5e9,
  maxFailureRatio: 0,
  order: 'start-first',
  ...over,
});

function api(version: string, behaviour: 'ok' | 'unhealthy' = 'ok'): ServiceSpec {
  return service('api', {
    image: IMAGE(),
    command: [
      'sh',
      '-c',
      `trap 'exit 0' TERM; mkdir -p /www && echo ${version} > /www/index.html && httpd -f -p 8080 -h /www & wait`,
    ],
    healthcheck: {
      test: [
        'CMD-SHELL',
        `timeout 5 wget -qO- http://127.0.0.1:8080/${behaviour === 'ok' ? '' : 'missing'} >/dev/null`,
      ],
      intervalNs: 1e9,
      timeoutNs: 6e9,
      retries: 3,
    },
    stopGracePeriodNs: 2e9,
    networks: { back: { aliases: [] } },
    deploy: {
      replicas: 3,
      ...notOn('h1'),
      updateConfig: update({}),
      rollbackConfig: update({ failureAction: 'pause' }),
    },
  });
}

function stackOf(name: string, version: string, behaviour: 'ok' | 'unhealthy' = 'ok'): DesiredState {
  const client = service('client', {
    image: IMAGE(),
    command: TrafficClient.command('http://api:8080/'),
    stopGracePeriodNs: 1e9,
    networks: { back: { aliases: [] } },
    deploy: { replicas: 1, ...on('h1') },
  });
  return desiredFor(name, [api(version, behaviour), client], 'socket', {
    networks: { back: network('back', name, { driver: 'overlay' }) },
  });
}

async function apiContainers(name: string): Promise<{ id: string; hash: string }[]> {
  const out: { id: string; hash: string }[] = [];
  for (const h of ['h2', 'h3'])
    for (const c of await docker(h).listContainers({
      filters: { label: [`${Labels.stack}=${name}`, `${Labels.service}=api`] },
    }))
      out.push({ id: c.Id, hash: c.Labels[Labels.configHash] });
  return out;
}

async function setUp(t: ExecutionContext, prefix: string) {
  const name = uniqueStack(prefix);
  const v1 = stackOf(name, 'v1');
  stacks.push(v1);
  const first = await deploy(v1);
  t.true(first.result?.ok, JSON.stringify(first.result?.failures));
  const container = `${name}-client-1`;
  const run = (cmd: string[]) => execIn('h1', container, cmd);
  await eventually(
    async () => (await run(['sh', '-c', 'timeout 5 wget -qO- http://api:8080/'])).output.trim() === 'v1',
    60_000,
    'api to answer over the overlay',
  );
  return { name, run, client: new TrafficClient(run), before: await apiContainers(name) };
}

test.serial(
  'start-first on an engine overlay: a new replica joins the name only once healthy, an old one leaves it before it stops',
  async (t) => {
    const { name, run, client, before } = await setUp(t, 'tr');
    const since = await eventWindowStart();
    await client.start();
    const rolled = await deploy(stackOf(name, 'v2'));
    t.true(rolled.result?.ok, JSON.stringify(rolled.result?.failures));
    t.is(rolled.result?.rollouts.api.outcome, 'completed');
    t.is(rolled.plan.rollouts[0].order, 'start-first');
    const result = await client.stop();
    t.log(
      `${result.requests} requests during the update, ${result.failures} failed (in flight when an old replica left the network)`,
    );
    const after = await apiContainers(name);
    t.is(after.length, 3);
    t.true(after.every((c) => c.hash !== before[0].hash));
    // Every answer is v2 now; the engine overlay may need a moment to program a new replica's address on h1 (the
    // cluster store's watch), so a request right after the rollout can fail — but never answer v1.
    const answer = async () => (await run(['sh', '-c', 'timeout 5 wget -qO- http://api:8080/'])).output.trim();
    await eventually(async () => (await answer()) === 'v2', 20_000, 'api to answer v2 by name');
    for (let i = 0; i < 6; i++) t.not(await answer(), 'v1', 'no old replica answers after the rollout');

    const events = (await hostEvents(since)).map(({ event: e }) => ({
      t: Number(e.timeNano),
      type: e.Type,
      action: String(e.Action),
      id: e.Type === 'network' ? String(e.Actor?.Attributes?.container) : String(e.Actor?.ID),
      net: e.Type === 'network' ? String(e.Actor?.Attributes?.name) : '',
    }));
    const at = (id: string, type: string, action: string, net = `${name}_back`) =>
      events
        .filter((e) => e.id === id && e.type === type && e.action === action && (type !== 'network' || e.net === net))
        .map((e) => e.t);
    for (const old of before) {
      const [left] = at(old.id, 'network', 'disconnect');
      const [killed] = at(old.id, 'container', 'kill');
      t.truthy(left && killed, `old replica ${old.id.slice(0, 12)}: disconnect and kill seen`);
      t.true(left < killed, `old replica ${old.id.slice(0, 12)} left the network before it was stopped`);
    }
    for (const c of after) {
      const [healthy] = at(c.id, 'container', 'health_status: healthy');
      const connects = at(c.id, 'network', 'connect');
      t.truthy(healthy, `new replica ${c.id.slice(0, 12)} became healthy`);
      t.is(connects.length, 2, `new replica ${c.id.slice(0, 12)}: connected at create, then again with its aliases`);
      t.true(connects[1] > healthy, `new replica ${c.id.slice(0, 12)} joined the service's names only once healthy`);
    }
  },
);

test.serial(
  'start-first on an engine overlay with a version failing its healthcheck and failure_action rollback: it never joins the name, zero failed requests',
  async (t) => {
    const { name, run, client, before } = await setUp(t, 'tb');
    await client.start();
    await assertRolledBackUnnoticed(t, await deploy(stackOf(name, 'v2', 'unhealthy')), client, run);
    t.deepEqual((await apiContainers(name)).map((c) => c.id).sort(), before.map((c) => c.id).sort());
  },
);
