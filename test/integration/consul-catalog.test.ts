/**
 * The service catalog on the real sandbox: running replicas registered in Consul's catalog (queried over
 * HTTP) with address, port, tags and meta, health as a snapshot at apply and at `stack status`, removed
 * replicas deregistered.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { ConsulClient } from '../../src/consul/client.js';
import { ConsulStateStore } from '../../src/state/consul-store.js';
import { REPLICA_ENTRY, type CatalogEntry } from '../../src/deploy/catalog-entries.js';
import { syncCatalogNode } from '../../src/deploy/catalog-sync.js';
import { lockInfo } from '../../src/state/lock-info.js';
import { containersOf, docker, eventually, execIn, IMAGE, sandbox, uniqueStack } from './reconcile-helpers.js';
import {
  cleanupStack,
  consulAddress,
  consulApi,
  folder,
  inventoryYaml,
  lockSession,
  stackCli,
} from './consul-helpers.js';

interface CatalogInstance {
  Node: string;
  Address: string;
  NodeMeta: Record<string, string>;
  ServiceID: string;
  ServiceAddress: string;
  ServicePort: number;
  ServiceTags: string[];
  ServiceMeta: Record<string, string>;
}

const api = (name: string, replicas: number) => `name: ${name}
services:
  api:
    image: ${IMAGE()}
    command: ["sh", "-c", "touch /tmp/ok; sleep 3600"]
    expose: ["8080"]
    labels: { team: payments }
    healthcheck: { test: ["CMD", "test", "-f", "/tmp/ok"], interval: 1s }
    stop_grace_period: 1s
    deploy: { replicas: ${replicas} }
`;

const instances = (name: string, service: string) =>
  consulApi<CatalogInstance[]>(`catalog/service/${name}-${service}`).then((x) => x ?? []);

test('running replicas are in the catalog with address, port, tags, meta and health; removed ones are deregistered', async (t) => {
  const name = uniqueStack('cat');
  const dir = folder({ 'compose.yaml': api(name, 3), 'inventory.yaml': inventoryYaml() });
  cleanupStack(t, name, dir);
  t.is((await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir })).code, 0);

  const found = await instances(name, 'api');
  t.is(found.length, 3);
  const containers = await containersOf(name);
  for (const i of found) {
    const c = containers.get(i.ServiceID)!;
    t.truthy(c, `${i.ServiceID} is a container of the stack`);
    t.is(i.Node, `stack-${c.host}`);
    t.is(i.Address, sandbox().hosts.find((h) => h.name === c.host)!.ip);
    t.is(i.NodeMeta['external-node'], 'true');
    const inspect = await docker(c.host).getContainer(c.info.Id).inspect();
    t.is(
      i.ServiceAddress,
      inspect.NetworkSettings.Networks[`${name}_default`].IPAddress,
      'the address on the stack network',
    );
    t.is(i.ServicePort, 8080);
    t.deepEqual(i.ServiceTags, ['team=payments']);
    t.like(i.ServiceMeta, { stack: name, service: 'api', container_id: c.info.Id, host: c.host, revision: '1' });
  }

  // Health is a snapshot: `stack status` takes a new one; the healthcheck passes within a few seconds.
  const passing = await eventually(
    async () => {
      await stackCli(['status', '-i', 'inventory.yaml'], { cwd: dir });
      const checks =
        (await consulApi<{ ServiceID: string; Status: string; Notes: string }[]>(`health/checks/${name}-api`)) ?? [];
      return checks.length === 3 && checks.every((c) => c.Status === 'passing') ? checks : undefined;
    },
    60_000,
    'passing checks after stack status',
  );
  t.true(passing.every((c) => /\(healthy\)/.test(c.Notes)));

  writeFileSync(path.join(dir, 'compose.yaml'), api(name, 1));
  t.is((await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir })).code, 0);
  const left = await instances(name, 'api');
  t.deepEqual(
    left.map((i) => i.ServiceID),
    [`${name}-api-1`],
  );
  t.is(left[0].ServiceMeta.revision, '2');

  t.is((await stackCli(['destroy', '-y', '-i', 'inventory.yaml'], { cwd: dir })).code, 0);
  t.deepEqual(await instances(name, 'api'), []);

  // Applied again after the destroy (revision 3): the entries name the revision this run recorded (4), which the
  // run numbers before it writes the revision and the catalog side by side.
  t.is((await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir })).code, 0);
  const h = await stackCli(['history', '--json', '-i', 'inventory.yaml'], { cwd: dir });
  const numbers = (JSON.parse(h.stdout) as { revisions: { number: number }[] }).revisions.map((r) => r.number);
  t.deepEqual(numbers, [1, 2, 3, 4]);
  const again = await instances(name, 'api');
  t.is(again.length, 1);
  t.is(again[0].ServiceMeta.revision, String(numbers.at(-1)));
});

test("a replica with a published port is registered at its host's address and the published port; unhealthy is critical", async (t) => {
  const name = uniqueStack('catp');
  const port = 20000 + Math.floor(Math.random() * 9000);
  const dir = folder({
    'compose.yaml': `name: ${name}
services:
  web:
    image: ${IMAGE()}
    command: ["sleep", "3600"]
    ports: ["${port}:80"]
    healthcheck: { test: ["CMD", "false"], interval: 1s, retries: 1 }
    deploy: { placement: { constraints: ["node.hostname == h2"] } }
`,
    'inventory.yaml': inventoryYaml(),
  });
  cleanupStack(t, name, dir);
  t.is((await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir })).code, 0);
  const [i] = await instances(name, 'web');
  t.is(i.Node, 'stack-h2');
  t.is(i.ServiceAddress, sandbox().hosts.find((h) => h.name === 'h2')!.ip);
  t.is(i.ServicePort, port);
  const critical = await eventually(
    async () => {
      await stackCli(['status', '-i', 'inventory.yaml'], { cwd: dir });
      const checks = (await consulApi<{ Status: string; Notes: string }[]>(`health/checks/${name}-web`)) ?? [];
      return checks.find((c) => c.Status === 'critical' && /unhealthy/.test(c.Notes));
    },
    60_000,
    'a critical check',
  );
  t.truthy(critical);
});

test('stack status while another run holds the lock: prints the rows, warns naming the holder, and leaves the catalog to that run', async (t) => {
  const name = uniqueStack('catl');
  // Healthy only once /tmp/ok exists: the test decides when, so the catalog's snapshot is known at each step.
  const dir = folder({
    'compose.yaml': `name: ${name}
services:
  api:
    image: ${IMAGE()}
    command: ["sleep", "3600"]
    expose: ["8080"]
    healthcheck: { test: ["CMD", "test", "-f", "/tmp/ok"], interval: 1s, retries: 1000 }
    stop_grace_period: 1s
    deploy: { placement: { constraints: ["node.hostname == h1"] } }
`,
    'inventory.yaml': inventoryYaml(),
  });
  cleanupStack(t, name, dir);
  t.is((await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir })).code, 0);
  const check = async () =>
    ((await consulApi<{ Status: string; Notes: string }[]>(`health/checks/${name}-api`)) ?? [])[0];
  t.is((await check())?.Status, 'critical', 'not healthy at apply');

  const c = [...(await containersOf(name)).values()][0];
  await execIn(c.host, c.info.Id, ['touch', '/tmp/ok']);
  await eventually(
    async () => (await docker(c.host).getContainer(c.info.Id).inspect()).State.Health?.Status === 'healthy',
    30_000,
    'the replica to turn healthy',
  );

  const store = new ConsulStateStore(new ConsulClient({ address: consulAddress(), source: '--consul' }));
  t.teardown(() => store.close());
  const lock = await store.acquire(name, { ...lockInfo(name, 'apply', {}), user: 'status-holder' }, { timeoutMs: 0 });
  const session = await lockSession(name);
  const locked = await stackCli(['status', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(locked.code, 0, locked.stderr);
  t.regex(locked.stdout, /api/);
  t.regex(
    locked.stderr,
    /warning: the Consul catalog's health was not refreshed: stack \S+ is locked by status-holder@\S+ \(apply/,
  );
  t.is((await check())?.Status, 'critical', 'the catalog was left to the holder');
  t.is(await lockSession(name), session, 'the holder still has the lock');
  t.false(lock.lost.aborted);
  await lock.release();

  const free = await stackCli(['status', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(free.code, 0, free.stderr);
  t.notRegex(free.stderr, /not refreshed/);
  t.is((await check())?.Status, 'passing', 'refreshed once the lock is free');
  t.is(await lockSession(name), undefined, 'status released the lock it took');
});

test('a node with 70 replicas is synced in transactions of at most 64 operations: all 70 with their checks, then 65 deregistered with theirs; other stacks and entries untouched', async (t) => {
  const stack = uniqueStack('catx');
  const node = `stack-${stack}-node`;
  const consul = new ConsulClient({ address: consulAddress(), source: '--consul' });
  t.teardown(async () => {
    await consulApi('catalog/deregister', { method: 'PUT', body: JSON.stringify({ Node: node }) });
    consul.close();
  });
  const entry = (i: number, owner = stack): CatalogEntry => ({
    node,
    nodeAddress: '10.77.0.9',
    service: {
      id: `${owner}-api-${i}`,
      name: `${owner}-api`,
      address: `10.1.0.${i}`,
      port: 8080,
      tags: [`slot=${i}`],
      meta: { ...REPLICA_ENTRY, stack: owner, service: 'api', slot: String(i) },
    },
    check: { status: i % 2 ? 'passing' : 'critical', notes: `docker: replica ${i}` },
  });
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => entry(from + k));
  // Another stack's replica on the same node: never removed by this stack's sync.
  await syncCatalogNode(consul, `${stack}x`, node, [entry(1, `${stack}x`)]);

  const first = await syncCatalogNode(consul, stack, node, range(1, 70));
  t.is(first.registered.length, 70);
  t.deepEqual(first.deregistered, []);
  const services = async () =>
    Object.keys(
      (await consulApi<{ Services: Record<string, unknown> }>(`catalog/node/${node}`))?.Services ?? {},
    ).sort();
  const checks = async () =>
    ((await consulApi<{ ServiceID: string; Status: string; Notes: string }[]>(`health/node/${node}`)) ?? []).filter(
      (c) => c.ServiceID.startsWith(`${stack}-`),
    );
  t.is((await services()).length, 71);
  const all = await checks();
  t.is(all.length, 70, 'every replica has its health check');
  t.like(
    all.find((c) => c.ServiceID === `${stack}-api-70`),
    { Status: 'critical', Notes: 'docker: replica 70' },
  );
  const node9 = await consulApi<{ Node: { Address: string; Meta: Record<string, string> } }>(`catalog/node/${node}`);
  t.is(node9?.Node.Address, '10.77.0.9');
  t.is(node9?.Node.Meta['managed-by'], 'stack');

  const second = await syncCatalogNode(consul, stack, node, range(66, 70));
  t.is(second.deregistered.length, 65);
  t.deepEqual(await services(), [`${stack}x-api-1`, ...range(66, 70).map((e) => e.service.id)].sort());
  t.deepEqual(
    (await checks()).map((c) => c.ServiceID).sort(),
    range(66, 70).map((e) => e.service.id),
    "the deregistered replicas' checks went with them",
  );
});

test("a catalog transaction Consul rolls back: the error names the operation and Consul's reason, and nothing of it is written", async (t) => {
  const node = `stack-${uniqueStack('catr')}-node`;
  const consul = new ConsulClient({ address: consulAddress(), source: '--consul' });
  t.teardown(() => consul.close());
  const ops = [
    { Node: { Verb: 'set', Node: { Node: node, Address: '10.77.0.9' } } },
    { Service: { Verb: 'delete', Node: node, Service: { ID: 'no-name' } } },
  ];
  const err = await t.throwsAsync(consul.write('a bad transaction', (api) => api.transaction.create(ops as never)));
  t.regex(
    err?.message ?? '',
    /a bad transaction failed \(HTTP 409\): conflict: operation 1: Must provide service name \(Service\.Service\)/,
  );
  t.is(
    await consulApi(`catalog/node/${node}`),
    null,
    'the node set by operation 0 was rolled back (an unknown node reads as null)',
  );
});
