/**
 * deploy.placement.max_replicas_per_node on the sandbox (h1–h3, through the built CLI): three replicas with a limit
 * of one land one per host; four are refused before any write, naming the limit and the hosts.
 */
import { writeFileSync } from 'node:fs';
import test from 'ava';
import { containersOf, eventWindowStart, IMAGE, stackEvents, uniqueStack } from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';

test.before(() => ensureBuilt());

const file = (name: string, replicas: number) =>
  `name: ${name}\nservices:\n  web:\n    image: ${IMAGE()}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n    deploy: { replicas: ${replicas}, placement: { max_replicas_per_node: 1 } }\n`;

test('one replica per host under the limit; more than the hosts can hold is refused with no write', async (t) => {
  const name = uniqueStack('mrpn');
  const dir = writeDir({
    'compose.yaml': file(name, 3),
    'inventory.yaml': inventoryYaml(sandboxHosts(['h1', 'h2', 'h3'])),
  });
  t.teardown(() => runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir).catch(() => undefined));
  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  const hosts = [...(await containersOf(name)).values()].map((c) => c.host).sort();
  t.deepEqual(hosts, ['h1', 'h2', 'h3']);

  writeFileSync(`${dir}/compose.yaml`, file(name, 4));
  const since = await eventWindowStart();
  const refused = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(refused.code, 1, refused.stdout + refused.stderr);
  t.regex(refused.stderr, /4 replicas do not fit 1 per host on the 3 eligible hosts \(h1, h2, h3\)/);
  t.regex(refused.stderr, /deploy\.placement\.max_replicas_per_node/);
  t.notRegex(refused.stderr, /\n\s+at /, 'no stack trace');
  t.deepEqual(await stackEvents(name, since), [], 'nothing written');
});
