/**
 * volumes_from and external_links: read as compose-go reads them (an implicit depends_on on a source service),
 * refused at validate where no host can be known, co-placed with their source at plan time, the source's container on
 * the replica's host in HostConfig.VolumesFrom, created after it, replaced with it — also when its config is
 * unchanged but this plan creates its source container again, or the replica mounts an earlier source's volumes;
 * containers outside the stack checked on the pinned host; links sent as EndpointSettings.Links on the service's
 * networks.
 */
import test from 'ava';
import { reconcile } from '../../../src/plan/index.js';
import { place } from '../../../src/plan/placement.js';
import type { ObservedContainer } from '../../../src/observe/types.js';
import type { Operation, Plan } from '../../../src/plan/types.js';
import { desired, hosts, network, observedEmpty, service, simulate } from './helpers.js';
import { goldenPlan } from './golden.js';
import { errors, find, load, where } from '../stack/helpers.js';

const hostsFile = (n: number) =>
  `x-stack:\n  hosts:\n${Array.from({ length: n }, (_, i) => `    h${i + 1}: { endpoint: "unix:///run/h${i + 1}.sock" }\n`).join('')}`;
const stack = (services: string, hostCount = 2) =>
  `name: demo\n${hostsFile(hostCount)}services:\n  db:\n    image: busybox\n    volumes: [/data]\n${services}`;

const creates = (ops: Operation[]) => ops.filter((o) => o.kind === 'container.create');
const body = (op: Operation) => (op.params as { body: Record<string, any> }).body;

/** The plan's container changes as [name, action, cause]. */
const containerChanges = (plan: Plan) =>
  plan.changes.filter((c) => c.type === 'container').map((c) => [c.name, c.action, c.cause]);

/** The start of db's replica 1 and the create of app's replica 1 (the dependent is created once its source runs). */
function sourceStartAndDependentCreate(plan: Plan) {
  const dbStart = plan.operations.find((o) => o.kind === 'container.start' && o.resource === 'service:db:1')!;
  const appCreate = creates(plan.operations).find((o) => o.resource === 'service:app:1')!;
  return { dbStart, appCreate };
}

test('volumes_from is read in both forms with rw by default, and a source service becomes a dependency', async (t) => {
  const r = await load({
    'compose.yaml': stack(
      '  app:\n    image: busybox\n    volumes_from: [db, "db:ro", "container:logs:ro"]\n    deploy: { placement: { constraints: [node.hostname == h1] } }\n',
    ),
  });
  t.deepEqual(errors(r), []);
  const app = r.value!.services.app;
  t.deepEqual(app.volumesFrom, [
    { kind: 'service', service: 'db', mode: 'rw' },
    { kind: 'service', service: 'db', mode: 'ro' },
    { kind: 'container', container: 'logs', mode: 'ro' },
  ]);
  t.deepEqual(app.dependsOn, { db: { condition: 'service_started', required: true, restart: false } });
  const healthy = await load({
    'compose.yaml': stack(
      '  app:\n    image: busybox\n    volumes_from: [db]\n    depends_on: { db: { condition: service_healthy } }\n',
    ),
  });
  t.is(healthy.value!.services.app.dependsOn.db.condition, 'service_healthy', 'an explicit depends_on is kept');
});

test('volumes_from errors are reported at the entry, with file:line:col', async (t) => {
  const unknown = await load({ 'compose.yaml': stack('  app:\n    image: busybox\n    volumes_from: [db, cache]\n') });
  const e = find(unknown, 'volumes_from names service cache, which is not defined');
  t.is(where(e), 'compose.yaml:12:24 services.app.volumes_from[1]');
  t.is(errors(unknown).length, 1, 'reported once, not again as a depends_on');
  const self = await load({ 'compose.yaml': stack('  app:\n    image: busybox\n    volumes_from: [app]\n') });
  t.truthy(find(self, 'service app cannot take volumes_from itself'));
  const form = await load({ 'compose.yaml': stack('  app:\n    image: busybox\n    volumes_from: ["db:rx"]\n') });
  t.regex(find(form, /must be SERVICE, SERVICE:ro/).summary, /container:NAME/);
  const profile = await load({
    'compose.yaml': stack(
      '  app:\n    image: busybox\n    volumes_from: [tools]\n  tools:\n    image: busybox\n    profiles: [debug]\n',
    ),
  });
  t.truthy(find(profile, 'volumes_from names service tools, which is not enabled by the active profiles'));
});

test('a container outside the stack needs the service pinned to one host', async (t) => {
  const loose = await load({
    'compose.yaml': stack('  app:\n    image: busybox\n    volumes_from: ["container:logs"]\n'),
  });
  const e = find(loose, 'volumes_from container:logs');
  t.is(
    e.summary,
    'volumes_from container:logs: a container outside the stack is on one host, but service app may run on 2 (h1, h2)',
  );
  t.is(where(e), 'compose.yaml:12:20 services.app.volumes_from[0]');
  t.regex(e.hint!, /node\.hostname == h1/);
  const links = await load({
    'compose.yaml': stack('  app:\n    image: busybox\n    external_links: ["redis:cache"]\n'),
  });
  t.truthy(find(links, 'external_links redis: a container outside the stack is on one host'));
  const single = await load({
    'compose.yaml': stack(
      '  app:\n    image: busybox\n    volumes_from: ["container:logs"]\n    external_links: [redis]\n',
      1,
    ),
  });
  t.deepEqual(errors(single), [], 'a stack of one host pins every service');
  t.deepEqual(single.value!.services.app.externalLinks, [{ container: 'redis', alias: 'redis' }]);
  const mode = await load({
    'compose.yaml': stack('  app:\n    image: busybox\n    network_mode: host\n    external_links: [redis]\n', 1),
  });
  t.truthy(find(mode, 'external_links cannot be used with network_mode host'));
});

const db = (over: Parameters<typeof service>[1] = {}) =>
  service('db', { mounts: [{ type: 'volume', target: '/data', readOnly: false }], ...over });
const app = (over: Parameters<typeof service>[1] = {}) =>
  service('app', {
    volumesFrom: [{ kind: 'service', service: 'db', mode: 'ro' }],
    dependsOn: { db: { condition: 'service_started', required: true, restart: false } },
    ...over,
  });

test('replicas go only to hosts that run the source, each naming the source container on its own host', (t) => {
  const d = desired([db({ deploy: { replicas: 2 } }), app({ deploy: { replicas: 3 } })]);
  const plan = reconcile(d, observedEmpty(d));
  t.deepEqual(plan.diagnostics, []);
  const dbHosts = new Set(Object.values(plan.placement.db));
  t.true(Object.values(plan.placement.app).every((h) => dbHosts.has(h)));
  for (const op of creates(plan.operations).filter((o) => o.resource.startsWith('service:app:'))) {
    const [source] = body(op).HostConfig.VolumesFrom as string[];
    const dbSlot = Object.entries(plan.placement.db).find(([, h]) => h === op.host)![0];
    t.is(source, `app-db-${dbSlot}:ro`);
    const dbStart = plan.operations.find((o) => o.kind === 'container.start' && o.resource === `service:db:${dbSlot}`)!;
    t.true(op.deps.includes(dbStart.id), 'created once the source runs');
  }
  goldenPlan(t, 'volumes-from', plan, { operations: true });
});

test('a service that cannot run next to its source is refused, naming both services and their hosts', (t) => {
  const on = (h: string) => [{ field: 'node.hostname', op: '==' as const, value: h, text: `node.hostname == ${h}` }];
  const apart = desired([db({ deploy: { constraints: on('h1') } }), app({ deploy: { constraints: on('h2') } })]);
  const [e] = reconcile(apart, observedEmpty(apart)).diagnostics;
  t.is(
    e.summary,
    'service app: volumes_from db needs a replica of db on the same host, but no host is both eligible for app (h2) and running db (h1)',
  );
  t.is(e.where?.path, 'services.app.volumes_from');
  const global = desired([db({ deploy: { replicas: 2 } }), app({ deploy: { mode: 'global' } })]);
  const { placement, diagnostics } = place(global, observedEmpty(global), new Set(['h1', 'h2', 'h3']));
  t.regex(
    diagnostics[0].summary,
    /^service app is global on h1, h2, h3, but volumes_from db has no replica of db on h3/,
  );
  t.deepEqual(placement.app, {});
  const both = desired([db({ deploy: { mode: 'global' } }), app({ deploy: { mode: 'global' } })]);
  t.deepEqual(reconcile(both, observedEmpty(both)).diagnostics, []);
});

test("a changed source replaces its dependents (as Compose recreates them); the dependent's own hash is kept otherwise", (t) => {
  const d1 = desired([db(), app()]);
  const o = simulate(reconcile(d1, observedEmpty(d1)), observedEmpty(d1));
  t.deepEqual(reconcile(d1, o).operations, [], 'a second plan is empty');
  const d2 = desired([db({ environment: { V: '2' } }), app()]);
  const plan = reconcile(d2, o);
  const replaced = plan.changes.filter((c) => c.action === 'replace').map((c) => c.service);
  t.deepEqual(replaced.sort(), ['app', 'db']);
  const appChange = plan.changes.find((c) => c.service === 'app')!;
  t.deepEqual(
    appChange.fields?.map((f) => f.path),
    ['volumesFromSource.db'],
  );
  const appCreate = creates(plan.operations).find((op) => op.resource === 'service:app:1')!;
  const dbRename = plan.operations.find(
    (op) => op.kind === 'container.rename' && (op.params as { newName: string }).newName === 'app-db-1',
  )!;
  t.true(appCreate.deps.includes(dbRename.id), 'the new dependent is created once the new source has its name');
});

const outside = (name: string, host: string, networks: string[] = []): ObservedContainer => ({
  id: `id-${name}`,
  name,
  host,
  service: '',
  slot: '',
  state: 'running',
  networks,
  mounts: [],
  labels: {},
});

test('a container outside the stack must be on the pinned host, and a linked one on a network of the service', (t) => {
  const pinned = [{ field: 'node.hostname', op: '==' as const, value: 'h2', text: 'node.hostname == h2' }];
  const shared = network('shared', 'app', { external: true, name: 'shared' });
  const s = service('web', {
    volumesFrom: [{ kind: 'container', container: 'logs', mode: 'rw' }],
    externalLinks: [{ container: 'redis', alias: 'cache' }],
    networks: { shared: { aliases: [] } },
    deploy: { constraints: pinned },
  });
  const d = desired([s], { networks: { shared } });
  const o = observedEmpty(d);
  for (const h of Object.values(o.hosts)) h.foreignContainers = [];
  o.hosts.h2.foreignNetworks = [{ id: 'n1', name: 'shared', driver: 'bridge', scope: 'local', labels: {} }];
  const missing = reconcile(d, o).diagnostics.map((x) => x.summary);
  t.true(
    missing.includes(
      'service web: volumes_from container:logs: there is no container logs on host h2, where web is placed',
    ),
  );
  t.true(
    missing.includes('service web: external_links redis: there is no container redis on host h2, where web is placed'),
  );
  o.hosts.h2.foreignContainers = [outside('logs', 'h2'), outside('redis', 'h2', ['bridge'])];
  const [apart] = reconcile(d, o).diagnostics;
  t.is(
    apart.summary,
    "service web: external_links redis: container redis on host h2 is on none of web's networks (shared), so the link would not resolve",
  );
  o.hosts.h2.foreignContainers = [outside('logs', 'h2'), outside('redis', 'h2', ['bridge', 'shared'])];
  const plan = reconcile(d, o);
  t.deepEqual(plan.diagnostics, []);
  const created = body(creates(plan.operations)[0]);
  t.deepEqual(created.HostConfig.VolumesFrom, ['logs:rw']);
  t.deepEqual(created.NetworkingConfig.EndpointsConfig.shared.Links, ['redis:cache']);
});

test("an external link shared only over the Engine's default bridge is refused, not dropped: stack sends no legacy links", (t) => {
  const pinned = [{ field: 'node.hostname', op: '==' as const, value: 'h1', text: 'node.hostname == h1' }];
  const bridge = network('default', 'app', { external: true, name: 'bridge' });
  const s = service('web', {
    externalLinks: [{ container: 'redis', alias: 'cache' }],
    deploy: { constraints: pinned },
  });
  const d = desired([s], { networks: { default: bridge } });
  const o = observedEmpty(d);
  for (const h of Object.values(o.hosts)) h.foreignContainers = [];
  o.hosts.h1.foreignContainers = [outside('redis', 'h1', ['bridge'])];
  const [e, ...rest] = reconcile(d, o).diagnostics;
  t.deepEqual(rest, []);
  t.is(
    e.summary,
    "service web: external_links redis: container redis on host h1 shares only the Engine's network bridge with web, where a link is a legacy link stack does not send",
  );
  t.deepEqual(e.where, { path: 'services.web.external_links', host: 'h1' });
  t.regex(e.hint!, /user-defined network/);
});

const named = (o: ReturnType<typeof observedEmpty>, name: string) =>
  Object.values(o.hosts)
    .flatMap((h) => h.containers)
    .find((c) => c.name === name)!;

test('a source created again replaces its dependents in the same plan, each after its new source (Compose hashes the source container)', (t) => {
  const d = desired([db(), app()]);
  const applied = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  t.deepEqual(reconcile(d, applied).operations, [], 'a second plan is empty');
  const removed = structuredClone(applied);
  const host = named(removed, 'app-db-1').host;
  removed.hosts[host].containers = removed.hosts[host].containers.filter((c) => c.name !== 'app-db-1');
  const plan = reconcile(d, removed);
  t.deepEqual(plan.diagnostics, []);
  t.deepEqual(containerChanges(plan), [
    ['app-db-1', 'create', 'new replica'],
    ['app-app-1', 'replace', 'volumes_from db: app-db-1 is created by this plan'],
  ]);
  const { dbStart, appCreate } = sourceStartAndDependentCreate(plan);
  t.true(appCreate.deps.includes(dbStart.id), 'the new dependent is created once the new source runs');
  const after = simulate(plan, removed);
  t.is(named(after, 'app-app-1').mounts[0].name, named(after, 'app-db-1').mounts[0].name);
  t.deepEqual(reconcile(d, after).operations, [], 'then nothing is left to do');
});

test('a replica that mounts the volumes of an earlier source container is drift: replaced, its source kept', (t) => {
  const d = desired([db(), app()]);
  const applied = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  const old = named(applied, 'app-db-1').mounts[0].name!;
  const recreated = structuredClone(applied);
  // created again outside stack with the same labels (so the same config hash), and a new anonymous volume
  named(recreated, 'app-db-1').mounts[0].name = 'f'.repeat(64);
  const plan = reconcile(d, recreated);
  t.deepEqual(
    plan.changes.map((c) => [c.name, c.action, c.cause, c.fields]),
    [
      [
        'app-app-1',
        'replace',
        'volumes_from db: mounts the volumes of an earlier app-db-1',
        [{ path: 'volumes_from.db:/data', before: old.slice(0, 12), after: 'f'.repeat(12) }],
      ],
    ],
  );
  t.deepEqual(reconcile(d, simulate(plan, recreated)).operations, [], 'replaced, it mounts the source it names');

  const ownData = desired([db(), app({ mounts: [{ type: 'volume', target: '/data', readOnly: false }] })]);
  const mine = simulate(reconcile(ownData, observedEmpty(ownData)), observedEmpty(ownData));
  named(mine, 'app-db-1').mounts[0].name = 'f'.repeat(64);
  t.deepEqual(reconcile(ownData, mine).operations, [], "a path the replica mounts itself is not its source's");
});

test('volumes_from container:NAME: a replica that mounts what the container outside the stack no longer holds is replaced', (t) => {
  const pinned = [{ field: 'node.hostname', op: '==' as const, value: 'h2', text: 'node.hostname == h2' }];
  const s = service('web', {
    volumesFrom: [{ kind: 'container', container: 'logs', mode: 'ro' }],
    deploy: { constraints: pinned },
  });
  const d = desired([s]);
  const o = observedEmpty(d);
  for (const h of Object.values(o.hosts)) h.foreignContainers = [];
  const logs = (volume: string) => ({
    ...outside('logs', 'h2'),
    mounts: [{ type: 'volume', name: volume, destination: '/logs' }],
  });
  o.hosts.h2.foreignContainers = [logs('logs-v1')];
  const applied = simulate(reconcile(d, o), o);
  t.deepEqual(
    named(applied, 'app-web-1').mounts.map((m) => [m.destination, m.name]),
    [['/logs', 'logs-v1']],
  );
  t.deepEqual(reconcile(d, applied).operations, []);
  applied.hosts.h2.foreignContainers = [logs('logs-v2')];
  const plan = reconcile(d, applied);
  t.deepEqual(
    plan.changes.map((c) => [c.name, c.action, c.cause, c.fields]),
    [
      [
        'app-web-1',
        'replace',
        'volumes_from container:logs: mounts the volumes of an earlier logs',
        [{ path: 'volumes_from.container:logs:/logs', before: 'logs-v1', after: 'logs-v2' }],
      ],
    ],
  );
});

test('a source recreated with its replaced network replaces a dependent that is not on that network, after it', (t) => {
  const back = { back: { aliases: [] } };
  const nets = (mtu?: string) => ({
    default: network('default'),
    back: network('back', 'app', mtu ? { driverOpts: { 'com.docker.network.driver.mtu': mtu } } : {}),
  });
  const d = desired([db({ networks: { default: { aliases: [] }, ...back } }), app()], { networks: nets() });
  const applied = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  t.deepEqual(reconcile(d, applied).operations, []);
  const d2 = desired([db({ networks: { default: { aliases: [] }, ...back } }), app()], { networks: nets('1400') });
  const plan = reconcile(d2, applied);
  t.deepEqual(plan.diagnostics, []);
  t.deepEqual(containerChanges(plan), [
    ['app-db-1', 'replace', 'network app_back replaced'],
    ['app-app-1', 'replace', 'volumes_from db: app-db-1 is created by this plan'],
  ]);
  const { dbStart, appCreate } = sourceStartAndDependentCreate(plan);
  t.true(appCreate.deps.includes(dbStart.id));
  const after = simulate(plan, applied);
  t.is(named(after, 'app-app-1').mounts[0].name, named(after, 'app-db-1').mounts[0].name);
  t.deepEqual(reconcile(d2, after).operations, []);
});

test('a lower slot of the source moved to the host: the dependent is replaced to name it, and mounts its volumes', (t) => {
  const on = (h: string) => [{ field: 'node.hostname', op: '==' as const, value: h, text: `node.hostname == ${h}` }];
  const two = { hosts: hosts(2) };
  const d = desired([db({ deploy: { replicas: 2 } }), app({ deploy: { constraints: on('h2') } })], two);
  const o = observedEmpty(d);
  const first = reconcile(d, o);
  t.deepEqual(first.placement.db, { 1: 'h1', 2: 'h2' });
  t.deepEqual(body(creates(first.operations).find((x) => x.resource === 'service:app:1')!).HostConfig.VolumesFrom, [
    'app-db-2:ro',
  ]);
  const applied = simulate(first, o);
  const d2 = desired(
    [db({ deploy: { replicas: 2, constraints: on('h2') } }), app({ deploy: { constraints: on('h2') } })],
    two,
  );
  const plan = reconcile(d2, applied);
  t.deepEqual(plan.diagnostics, []);
  t.deepEqual(
    plan.changes.filter((c) => c.type === 'container' && c.action !== 'delete').map((c) => [c.name, c.action, c.cause]),
    [
      ['app-db-1', 'create', 'moved from h1'],
      ['app-app-1', 'replace', 'volumes_from db: app-db-1 is created by this plan'],
    ],
  );
  const replaced = creates(plan.operations).find((x) => x.resource === 'service:app:1')!;
  t.deepEqual(body(replaced).HostConfig.VolumesFrom, ['app-db-1:ro']);
  const after = simulate(plan, applied);
  t.is(
    named(after, 'app-app-1').mounts[0].name,
    after.hosts.h2.containers.find((c) => c.name === 'app-db-1')!.mounts[0].name,
  );
  t.deepEqual(reconcile(d2, after).operations, []);
});
