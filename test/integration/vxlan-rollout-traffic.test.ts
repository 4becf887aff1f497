/**
 * Traffic through a start-first rolling update on stack's own overlay (the vx sandbox: no cluster store,
 * names from Consul): a client on h1 requests `api` (3 replicas with a healthcheck, on h2 and h3) by name,
 * one request at a time without retries, all through the update. A new replica takes its slot's place in
 * the catalog only once healthy; the old one stops only after a drain, so no request meets a stopping
 * container: zero failed requests. A version failing its healthcheck never gets a name: zero again.
 */
import test, { type ExecutionContext } from 'ava';
import type { DesiredState, ServiceSpec, UpdateConfigSpec } from '../../src/stack/types.js';
import {
  api,
  cleanupVx,
  deploy,
  docker,
  exec,
  onHost,
  service,
  uniqueStack,
  vxDesired,
  IMAGE,
} from './vxlan-helpers.js';
import { eventually } from './reconcile-helpers.js';
import { assertRolledBackUnnoticed, TrafficClient } from './traffic-helpers.js';
import { Labels } from '../../src/labels.js';

const update = (over: Partial<UpdateConfigSpec> = {}): UpdateConfigSpec => ({
  parallelism: 1,
  delayNs: 0,
  failureAction: 'rollback',
  monitorNs: 5e9,
  maxFailureRatio: 0,
  order: 'start-first',
  ...over,
});

function stackOf(name: string, version: string, behaviour: 'ok' | 'unhealthy' = 'ok'): DesiredState {
  const apiService: Omit<Partial<ServiceSpec>, 'deploy'> & { deploy?: Partial<ServiceSpec['deploy']> } = {
    ...api({ replicas: 3 }),
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
  };
  apiService.deploy = {
    ...apiService.deploy,
    replicas: 3,
    updateConfig: update(),
    rollbackConfig: update({ failureAction: 'pause' }),
  };
  const client = service('client', {
    image: IMAGE,
    command: TrafficClient.command('http://api:8080/'),
    stopGracePeriodNs: 1e9,
    deploy: { constraints: onHost('h1') },
  });
  return vxDesired(name, [service('api', apiService), client]);
}

async function hashes(name: string): Promise<string[]> {
  const out: string[] = [];
  for (const h of ['h1', 'h2', 'h3']) {
    const list = await docker(h).listContainers({
      filters: { label: [`${Labels.stack}=${name}`, `${Labels.service}=api`] },
    });
    out.push(...list.map((c) => c.Labels[Labels.configHash]));
  }
  return out;
}

async function setUp(t: ExecutionContext, prefix: string) {
  const name = uniqueStack(prefix);
  const v1 = stackOf(name, 'v1');
  cleanupVx(t, v1);
  const first = await deploy(v1);
  t.true(first.result?.ok, JSON.stringify(first.result?.failures));
  const container = `${name}-client-1`;
  const run = (cmd: string[]) => exec('h1', container, cmd);
  await eventually(
    async () => (await run(['sh', '-c', 'timeout 5 wget -qO- http://api:8080/'])).output.trim() === 'v1',
    60_000,
    'api to answer over the overlay',
  );
  const client = new TrafficClient(run);
  return { name, client, run, before: await hashes(name) };
}

test.serial(
  'start-first rolling update of 3 replicas with a healthcheck: a client on another host sees zero failed requests',
  async (t) => {
    const { name, client, run, before } = await setUp(t, 'tr');
    await client.start();
    const rolled = await deploy(stackOf(name, 'v2'));
    t.true(rolled.result?.ok, JSON.stringify(rolled.result?.failures));
    t.is(rolled.result?.rollouts.api.outcome, 'completed');
    t.is(rolled.plan.rollouts[0].order, 'start-first');
    const result = await client.stop();
    t.log(`${result.requests} requests during the update`);
    t.true(result.requests >= 20, `only ${result.requests} requests`);
    t.is(result.failures, 0, `failed requests (number, uptime): ${result.failed}`);
    const after = await hashes(name);
    t.is(after.length, 3);
    t.true(
      after.every((h) => !before.includes(h)),
      'every replica runs the new version',
    );
    t.is(
      await eventually(
        async () => (await run(['sh', '-c', 'timeout 5 wget -qO- http://api:8080/'])).output.trim() || undefined,
        20_000,
        'api to answer by name',
      ),
      'v2',
    );
  },
);

test.serial(
  'start-first with a version failing its healthcheck and failure_action rollback: the old version keeps answering, zero failed requests',
  async (t) => {
    const { name, client, run, before } = await setUp(t, 'tb');
    await client.start();
    await assertRolledBackUnnoticed(t, await deploy(stackOf(name, 'v2', 'unhealthy')), client, run);
    t.deepEqual((await hashes(name)).sort(), [...before].sort());
  },
);
