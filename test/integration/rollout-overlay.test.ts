/**
 * Traffic through a start-first rolling update: a client on h1 requests `api` (3 replicas with a
 * healthcheck, on h2 and h3) by name over an engine overlay network, in a bounded busybox loop, all
 * through the update; failures are counted into a file read afterwards. Named *overlay* so it runs
 * last, after `sandbox heal`; it pulls no image; its stacks are removed after the last test.
 */
import test from 'ava';
import type { DesiredState, ServiceSpec } from '../../src/stack/types.js';
import type { UpdateConfigSpec } from '../../src/stack/types.js';
import { deploy, desiredFor, docker, eventually, execIn, network, service, uniqueStack, IMAGE } from './reconcile-helpers.js';
import { runningIds } from './rollout-helpers.js';

const stacks: DesiredState[] = [];
test.after.always('remove the stacks', async () => {
  for (const d of stacks) await deploy(d, { destroy: true, pruneVolumes: true }).catch(() => undefined);
});

const notOn = (h: string) => ({ constraints: [{ field: 'node.hostname', op: '!=' as const, value: h, text: `node.hostname != ${h}` }] });
const on = (h: string) => ({ constraints: [{ field: 'node.hostname', op: '==' as const, value: h, text: `node.hostname == ${h}` }] });
const update = (over: Partial<UpdateConfigSpec>): UpdateConfigSpec => ({ parallelism: 1, delayNs: 0, failureAction: 'rollback', monitorNs: 5e9, maxFailureRatio: 0, order: 'start-first', ...over });

function api(version: string, behaviour: 'ok' | 'unhealthy' = 'ok'): ServiceSpec {
  return service('api', {
    image: IMAGE(),
    command: ['sh', '-c', `trap 'exit 0' TERM; mkdir -p /www && echo ${version} > /www/index.html && httpd -f -p 8080 -h /www & wait`],
    healthcheck: { test: ['CMD-SHELL', `timeout 5 wget -qO- http://127.0.0.1:8080/${behaviour === 'ok' ? '' : 'missing'} >/dev/null`], intervalNs: 1e9, timeoutNs: 6e9, retries: 3 },
    stopGracePeriodNs: 2e9,
    networks: { back: { aliases: [] } },
    deploy: { replicas: 3, ...notOn('h1'), updateConfig: update({}), rollbackConfig: update({ failureAction: 'pause' }) },
  });
}

function stackOf(name: string, version: string, behaviour: 'ok' | 'unhealthy' = 'ok'): DesiredState {
  const client = service('client', { image: IMAGE(), command: ['sleep', '3600'], stopGracePeriodNs: 1e9, networks: { back: { aliases: [] } }, deploy: { replicas: 1, ...on('h1') } });
  return desiredFor(name, [api(version, behaviour), client], 'socket', { networks: { back: network('back', name, { driver: 'overlay' }) } });
}

/** Starts the request loop in the client (detached): at most 5000 requests, until /tmp/stop exists. */
async function startLoop(container: string): Promise<void> {
  const script = 'i=0; f=0; while [ ! -f /tmp/stop ] && [ $i -lt 5000 ]; do i=$((i+1)); if ! timeout 2 wget -qO- http://api:8080/ >/tmp/body; then f=$((f+1)); echo "$i $(date +%T)" >>/tmp/failed; fi; echo "$i $f" >/tmp/count; done; touch /tmp/finished';
  const exec = await docker('h1').getContainer(container).exec({ Cmd: ['sh', '-c', script], AttachStdout: false, AttachStderr: false });
  await exec.start({ Detach: true });
}

async function counts(container: string): Promise<{ requests: number; failures: number }> {
  const r = await execIn('h1', container, ['cat', '/tmp/count']);
  const [i, f] = r.output.trim().split(' ').map(Number);
  return { requests: i || 0, failures: f || 0 };
}

async function stopLoop(container: string): Promise<{ requests: number; failures: number; failed: string }> {
  await execIn('h1', container, ['touch', '/tmp/stop']);
  await eventually(async () => (await execIn('h1', container, ['test', '-f', '/tmp/finished'])).exitCode === 0, 30_000, 'the request loop to end');
  const failed = (await execIn('h1', container, ['sh', '-c', 'cat /tmp/failed 2>/dev/null; true'])).output;
  return { ...(await counts(container)), failed };
}

test.serial('start-first rolling update of 3 replicas with a healthcheck: a client on another host sees zero failed requests', async (t) => {
  const name = uniqueStack('tr');
  const v1 = stackOf(name, 'v1');
  stacks.push(v1);
  const first = await deploy(v1);
  t.true(first.result?.ok, JSON.stringify(first.result?.failures));
  const client = `${name}-client-1`;
  await eventually(async () => (await execIn('h1', client, ['sh', '-c', 'timeout 5 wget -qO- http://api:8080/'])).output.trim() === 'v1', 60_000, 'api to answer over the overlay');
  const before = await runningIds(name, 'api');
  await startLoop(client);
  await eventually(async () => (await counts(client)).requests >= 5, 30_000, 'the loop to run');
  const rolled = await deploy(stackOf(name, 'v2'));
  t.true(rolled.result?.ok, JSON.stringify(rolled.result?.failures));
  t.is(rolled.result?.rollouts.api.outcome, 'completed');
  t.is(rolled.plan.rollouts[0].order, 'start-first');
  const during = await counts(client);
  await eventually(async () => (await counts(client)).requests >= during.requests + 5, 30_000, 'requests after the update');
  const result = await stopLoop(client);
  t.true(result.requests >= 20, `only ${result.requests} requests`);
  t.is(result.failures, 0, `failed requests (number, time): ${result.failed}`);
  const after = await runningIds(name, 'api');
  t.is(after.length, 3);
  t.true(after.every((c) => c.hash !== before[0].hash));
  t.is((await execIn('h1', client, ['sh', '-c', 'timeout 5 wget -qO- http://api:8080/'])).output.trim(), 'v2');
});

test.serial('start-first with a version failing its healthcheck and failure_action rollback: the old version keeps answering, zero failed requests', async (t) => {
  const name = uniqueStack('tb');
  const v1 = stackOf(name, 'v1');
  stacks.push(v1);
  const first = await deploy(v1);
  t.true(first.result?.ok, JSON.stringify(first.result?.failures));
  const client = `${name}-client-1`;
  await eventually(async () => (await execIn('h1', client, ['sh', '-c', 'timeout 5 wget -qO- http://api:8080/'])).output.trim() === 'v1', 60_000, 'api to answer over the overlay');
  const before = await runningIds(name, 'api');
  await startLoop(client);
  await eventually(async () => (await counts(client)).requests >= 5, 30_000, 'the loop to run');
  const rolled = await deploy(stackOf(name, 'v2', 'unhealthy'));
  t.false(rolled.result?.ok);
  t.is(rolled.result?.rollouts.api.outcome, 'rolled-back');
  t.regex(rolled.result!.rollouts.api.failures[0].error, /unhealthy/);
  const result = await stopLoop(client);
  t.is(result.failures, 0, `failed requests (number, time): ${result.failed}`);
  const after = await runningIds(name, 'api');
  t.deepEqual(after.map((c) => c.hash), before.map(() => before[0].hash));
  t.is((await execIn('h1', client, ['sh', '-c', 'timeout 5 wget -qO- http://api:8080/'])).output.trim(), 'v1');
});
