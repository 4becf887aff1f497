/**
 * Ownership on the sandbox, through the built CLI: a container made by hand with a stack's labels survives that
 * stack's apply and destroy; a second stack of the same name (another state directory) is refused naming both
 * identities and state directories, before any write; a host port a hand-made container holds, and a volume
 * `name:` that exists without the stack's identity, are plan errors before any write. Each test's stack has its
 * own name; what a test makes by hand it removes.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { Labels } from '../../src/labels.js';
import { containersOf, docker, eventWindowStart, IMAGE, stackEvents, uniqueStack } from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, stateDir, writeDir } from './cli-helpers.js';
import { consulAddress, consulApi } from './consul-helpers.js';
import { ConsulStateStore } from '../../src/state/consul-store.js';
import { ConsulClient } from '../../src/consul/client.js';

const MAIN = ['h1', 'h2', 'h3'];
test.before(() => ensureBuilt());

const SLEEP = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;

function stackDir(name: string, extra = ''): string {
  const file = `name: ${name}\nservices:\n  app:\n    image: ${IMAGE()}\n    command: ${SLEEP}\n    stop_grace_period: 1s\n${extra}`;
  return writeDir({ 'compose.yaml': file, 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
}

/** Removes the stack (CLI, this process's state directory) and anything made by hand for it. */
function cleanupAll(
  t: ExecutionContext,
  dir: string,
  byHand: { host: string; kind: 'container' | 'volume'; name: string }[],
): void {
  t.teardown(async () => {
    await runStack(['destroy', '--yes', '--prune-volumes', '-i', 'inventory.yaml'], dir).catch(() => undefined);
    for (const o of byHand) {
      if (o.kind === 'container')
        await docker(o.host)
          .getContainer(o.name)
          .remove({ force: true })
          .catch(() => undefined);
      else
        await docker(o.host)
          .getVolume(o.name)
          .remove()
          .catch(() => undefined);
    }
  });
}

async function handMadeContainer(
  host: string,
  name: string,
  labels: Record<string, string>,
  ports: Record<string, { HostPort: string }[]> = {},
): Promise<void> {
  const c = await docker(host).createContainer({
    name,
    Image: IMAGE(),
    Cmd: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"],
    Labels: labels,
    ExposedPorts: Object.fromEntries(Object.keys(ports).map((p) => [p, {}])),
    HostConfig: { PortBindings: ports },
  });
  await c.start();
}

test("a container made by hand with the stack's labels (no identity) survives the stack's apply and destroy", async (t) => {
  const name = uniqueStack('own');
  const dir = stackDir(name);
  const handmade = `${name}-handmade`;
  cleanupAll(t, dir, [{ host: 'h1', kind: 'container', name: handmade }]);
  await handMadeContainer('h1', handmade, {
    [Labels.managed]: 'true',
    [Labels.stack]: name,
    [Labels.service]: 'app',
    [Labels.slot]: '9',
  });

  const apply = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(apply.code, 0, apply.stdout + apply.stderr);
  t.regex(
    apply.stdout + apply.stderr,
    new RegExp(`container ${handmade} on h1 carries the labels of stack ${name} but no stack identity .*: left alone`),
  );
  const destroy = await runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(destroy.code, 0, destroy.stdout + destroy.stderr);
  const left = await containersOf(name);
  t.deepEqual([...left.keys()], [handmade], 'only the hand-made container is left');
  t.is(left.get(handmade)!.info.State, 'running', 'never stopped');
});

test('a second stack of the same name with another state directory is refused naming both identities and states, with zero writes', async (t) => {
  const name = uniqueStack('own');
  const dir = stackDir(
    name,
    '    deploy:\n      replicas: 3\n      placement:\n        constraints: ["node.labels.pool == main"]\n',
  );
  cleanupAll(t, dir, []);
  const first = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(first.code, 0, first.stdout + first.stderr);
  const identity = JSON.parse(readFileSync(path.join(stateDir, name, 'identity.json'), 'utf8')).id as string;
  const labels = [...(await containersOf(name)).values()].map((c) => c.info.Labels[Labels.owner]);
  t.deepEqual([...new Set(labels)], [identity], 'every container carries the identity');

  const otherState = mkdtempSync(path.join(os.tmpdir(), 'stack-other-state-'));
  const since = await eventWindowStart();
  for (const command of [['plan'], ['apply', '--yes'], ['destroy', '--yes']]) {
    const r = await runStack([...command, '-i', 'inventory.yaml'], dir, { STACK_STATE_DIR: otherState });
    t.is(r.code, 1, `${command[0]}: ${r.stdout}${r.stderr}`);
    t.regex(
      r.stderr,
      new RegExp(
        `a second stack named ${name} is on h1, h2, h3: its objects belong to identity ${identity}, state: local state in ${stateDir}; this run is identity [0-9a-f-]{36}.*state: local state in ${otherState}`,
      ),
      command[0],
    );
    t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  }
  t.deepEqual(await stackEvents(name, since), [], 'nothing written on any host');
  t.is((await containersOf(name)).size, 3, 'the first stack is untouched');
});

test('a host port a hand-made container publishes is a plan error naming host, port and container; apply writes nothing', async (t) => {
  const name = uniqueStack('own');
  const port = String(randomInt(20_000, 30_000));
  const holder = `${name}x-holder`;
  const dir = stackDir(
    name,
    `    ports: ["${port}:80"]\n    deploy:\n      placement:\n        constraints: ["node.hostname == h2"]\n`,
  );
  cleanupAll(t, dir, [{ host: 'h2', kind: 'container', name: holder }]);
  await handMadeContainer('h2', holder, {}, { '8080/tcp': [{ HostPort: port }] });

  const since = await eventWindowStart();
  for (const command of [['plan'], ['apply', '--yes']]) {
    const r = await runStack([...command, '-i', 'inventory.yaml'], dir);
    t.is(r.code, 1, `${command[0]}: ${r.stdout}${r.stderr}`);
    t.regex(
      r.stderr,
      new RegExp(
        `host port ${port}/tcp on h2 is already published by container ${holder} \\(not this stack's\\), so app cannot publish it there`,
      ),
    );
    t.regex(r.stderr, /services\.app\.ports\[0\]/);
  }
  t.deepEqual(
    (await stackEvents(name, since)).filter((e) => e.name !== holder),
    [],
    'nothing written on any host',
  );
  t.is((await containersOf(name)).size, 0);
});

test("a volume name: that exists without the stack's identity is not adopted: plan error naming host and volume, zero writes; external: true uses it", async (t) => {
  const name = uniqueStack('own');
  const volume = `${name}x-other-data`;
  const mount = (external: string) =>
    `    volumes: ["data:/data"]\n    deploy:\n      placement:\n        constraints: ["node.hostname == h3"]\nvolumes:\n  data: { name: ${volume}${external} }\n`;
  const dir = stackDir(name, mount(''));
  cleanupAll(t, dir, [{ host: 'h3', kind: 'volume', name: volume }]);
  await docker('h3').createVolume({ Name: volume, Labels: { owner: 'someone else' } });

  const since = await eventWindowStart();
  const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(
    r.stderr,
    new RegExp(`volume ${volume} already exists on h3 and is not this stack's \\(not made by stack\\)`),
  );
  t.regex(r.stderr, /declare it with external: true \(volumes\.data\)/);
  t.deepEqual(await stackEvents(name, since), [], 'nothing written on any host');

  const ext = stackDir(name, mount(', external: true'));
  const used = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], ext);
  t.is(used.code, 0, used.stdout + used.stderr);
  t.teardown(() =>
    runStack(['destroy', '--yes', '-i', 'inventory.yaml'], ext).then(
      () => undefined,
      () => undefined,
    ),
  );
  const [c] = [...(await containersOf(name)).values()];
  t.true(
    c.info.Mounts.some((m) => m.Name === volume),
    'the external volume is mounted',
  );
  t.deepEqual((await docker('h3').getVolume(volume).inspect()).Labels, { owner: 'someone else' }, 'and left as it was');
});

test('Consul keeps one identity per stack: concurrent first claims agree; a key that does not hold one is an error naming it, never replaced', async (t) => {
  const name = uniqueStack('own');
  const store = new ConsulStateStore(new ConsulClient({ address: consulAddress(), source: '--consul' }));
  t.teardown(async () => {
    await consulApi(`kv/stack/${name}/?recurse=true`, { method: 'DELETE' }).catch(() => undefined);
    store.close();
  });
  t.is(await store.identity(name), undefined);
  const claims = await Promise.all([store.claimIdentity(name), store.claimIdentity(name), store.claimIdentity(name)]);
  t.is(new Set(claims.map((c) => c.id)).size, 1);
  t.deepEqual(claims[0], { id: claims[0].id, state: `Consul at ${consulAddress()}` });
  await consulApi(`kv/stack/${name}/identity`, { method: 'PUT', body: '{"id":"$(reboot)","created":"x"}' });
  await t.throwsAsync(() => store.claimIdentity(name), {
    message: new RegExp(`stack/${name}/identity in Consul at .* does not hold a stack identity`),
  });
  t.deepEqual(await consulApi(`kv/stack/${name}/identity?raw`), { id: '$(reboot)', created: 'x' });
});
