/**
 * A rollout creates each batch's new containers while the batch before it is gated: after that batch's new
 * containers started, before they are healthy (off the critical path, not all at once at the start). Read from the
 * hosts' own container events. A failed version leaves no pre-created container behind: the rollout stops, the
 * container created for the next replica is removed with its group, and a re-run converges.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Labels } from '../../src/labels.js';
import {
  cleanup,
  containersOf,
  desiredFor,
  eventWindowStart,
  hostEvents,
  uniqueStack,
  IMAGE,
} from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';
import { runningIds } from './rollout-helpers.js';

test.before(() => ensureBuilt());

/**
 * 3 replicas, one per main host, one at a time, stop-first. The healthcheck's first probe comes 2 s after a start:
 * the gate the next replica's create (well under that on these hosts) runs within.
 */
function stackFile(name: string, body: string, healthy: boolean): string {
  const serve = `trap 'exit 0' TERM; mkdir -p /www && echo ${body} > /www/index.html && httpd -f -p 8080 -h /www & wait`;
  return `name: ${name}
services:
  api:
    image: ${IMAGE()}
    command: ["sh", "-c", ${JSON.stringify(serve)}]
    stop_grace_period: 2s
    healthcheck:
      test: ["CMD-SHELL", "timeout 5 wget -qO- http://127.0.0.1:8080${healthy ? '/' : '/missing'} >/dev/null"]
      interval: 2s
      timeout: 6s
      retries: 1
    deploy:
      replicas: 3
      placement:
        constraints: ["node.labels.pool == main"]
      update_config:
        parallelism: 1
        order: stop-first
        failure_action: pause
`;
}

/** The stack's container events since `since`: action (with its status, `health_status: healthy`), name, time. */
async function eventsOf(stack: string, since: number) {
  return (await hostEvents(since, { type: ['container'], label: [`${Labels.stack}=${stack}`] }))
    .map(({ event: e }) => ({
      action: String(e.Action),
      name: String(e.Actor.Attributes.name),
      time: Number(e.timeNano),
    }))
    .sort((a, b) => a.time - b.time);
}

async function setUp(t: Parameters<typeof cleanup>[0], prefix: string) {
  const name = uniqueStack(prefix);
  const dir = writeDir({
    'compose.yaml': stackFile(name, 'v1', true),
    'inventory.yaml': inventoryYaml(sandboxHosts(['h1', 'h2', 'h3'])),
  });
  cleanup(t, desiredFor(name, [], 'socket'));
  const first = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(first.code, 0, first.stdout + first.stderr);
  return { name, dir };
}

const leftovers = async (stack: string) =>
  [...(await containersOf(stack)).keys()].filter((n) => /_(kept|next)$/.test(n));

test("each batch's new container is created after the previous batch's started, before that one is healthy", async (t) => {
  const { name, dir } = await setUp(t, 'pc');
  writeFileSync(path.join(dir, 'compose.yaml'), stackFile(name, 'v2', true));
  const since = await eventWindowStart();
  const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 0, r.stdout + r.stderr);
  const events = await eventsOf(name, since);
  const at = (action: string, container: string) =>
    events.find((e) => e.action === action && e.name === container)?.time;
  // the batches in the order they ran: the new containers' starts
  const order = events.filter((e) => e.action === 'start' && e.name.endsWith('_next')).map((e) => e.name);
  t.is(order.length, 3, JSON.stringify(events));
  for (let i = 1; i < order.length; i++) {
    const [previous, next] = [order[i - 1], order[i]];
    const created = at('create', next)!;
    t.true(created > at('start', previous)!, `${next} created after ${previous} started`);
    t.true(created < at('health_status: healthy', previous)!, `${next} created before ${previous} was healthy`);
  }
  t.is((await runningIds(name, 'api')).length, 3);
  t.deepEqual(await leftovers(name), []);
});

test('a version that fails its healthcheck: the pre-created next container is removed with its group, the old ones run, a re-run converges', async (t) => {
  const { name, dir } = await setUp(t, 'pf');
  const before = await runningIds(name, 'api');
  writeFileSync(path.join(dir, 'compose.yaml'), stackFile(name, 'v2', false));
  const since = await eventWindowStart();
  const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(r.stdout, /rollout api: paused/);
  const events = await eventsOf(name, since);
  const started = events.filter((e) => e.action === 'start' && e.name.endsWith('_next')).map((e) => e.name);
  t.is(started.length, 1, 'only the first batch started');
  // the second batch's container was created while the first was gated, and removed when the rollout paused
  const precreated = events.filter((e) => e.action === 'create' && e.name.endsWith('_next') && e.name !== started[0]);
  t.is(precreated.length, 1, JSON.stringify(events));
  t.truthy(events.find((e) => e.action === 'destroy' && e.name === precreated[0].name));
  t.deepEqual(await leftovers(name), []);
  t.deepEqual(
    (await runningIds(name, 'api')).map((c) => c.hash),
    before.map((c) => c.hash),
  );
  writeFileSync(path.join(dir, 'compose.yaml'), stackFile(name, 'v3', true));
  const again = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(again.code, 0, again.stdout + again.stderr);
  const after = await runningIds(name, 'api');
  t.is(after.length, 3);
  t.is(new Set(after.map((c) => c.hash)).size, 1);
  t.not(after[0].hash, before[0].hash);
  t.deepEqual(await leftovers(name), []);
});
