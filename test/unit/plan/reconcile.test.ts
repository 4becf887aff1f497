import test from 'ava';
import { reconcile, planText } from '../../../src/plan/index.js';
import { sha256 } from '../../../src/plan/canonical.js';
import { desired, observedEmpty, service, simulate, network, DIGEST2, IMAGE, DIGEST } from './helpers.js';
import { goldenPlan } from './golden.js';
import type { DesiredState } from '../../../src/stack/types.js';

const secret = (key: string, text: string) => ({
  key,
  name: key,
  kind: 'secret' as const,
  source: 'content',
  external: false,
  content: Buffer.from(text),
  contentHash: sha256(text),
});

function example(over: { release?: string; webReplicas?: number; dbPassword?: string } = {}): DesiredState {
  const web = service('web', {
    environment: { RELEASE: over.release ?? 'v1', MODE: 'prod' },
    networks: { default: { aliases: [] }, back: { aliases: ['www'] } },
    ports: [{ target: 80, published: '8080', protocol: 'tcp', mode: 'host' }],
    restart: { name: 'always', maximumRetryCount: 0 },
    dependsOn: { db: { condition: 'service_healthy', required: true, restart: false } },
    deploy: { replicas: over.webReplicas ?? 3 },
  });
  const db = service('db', {
    networks: { back: { aliases: [] } },
    mounts: [{ type: 'volume', source: 'data', target: '/data', readOnly: false }],
    secrets: [{ source: 'db_password', target: '/run/secrets/db_password' }],
    healthcheck: { test: ['CMD-SHELL', 'true'], intervalNs: 1e9, retries: 3 },
    restart: { name: 'unless-stopped', maximumRetryCount: 0 },
    deploy: { constraints: [{ field: 'node.labels.role', op: '==', value: 'db', text: 'node.labels.role == db' }] },
  });
  const job = service('migrate', {
    command: ['true'],
    secrets: [],
    dependsOn: { db: { condition: 'service_started', required: true, restart: false } },
  });
  const d = desired([web, db, job], {
    networks: { default: network('default'), back: network('back', 'app', { driver: 'overlay' }) },
  });
  d.hosts[2].labels = { role: 'db' };
  d.volumes = { data: { key: 'data', name: 'app_data', driver: 'local', driverOpts: {}, external: false, labels: {} } };
  d.secrets = { db_password: secret('db_password', over.dbPassword ?? 's3cret') };
  return d;
}

test('fresh deploy across 3 hosts', (t) => {
  const d = example();
  const plan = reconcile(d, observedEmpty(d));
  goldenPlan(t, 'fresh-deploy', plan, { operations: true });
  t.deepEqual(plan.placement.web, { '1': 'h2', '2': 'h1', '3': 'h3' });
  t.deepEqual(plan.placement.migrate, { '1': 'h1' });
  t.deepEqual(plan.placement.db, { '1': 'h3' });
  t.false(planText(plan, { operations: true }).includes('s3cret'));
  t.false(JSON.stringify(plan).includes('s3cret'));
});

test('a second plan after applying is empty', (t) => {
  const d = example();
  const o = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  const plan = reconcile(d, o);
  t.deepEqual(plan.operations, [], planText(plan, { operations: true }));
  t.is(planText(plan), 'stack app: no changes\n');
});

test('a sensitive env value is masked in the plan text, its JSON and the labels; its change is still named', (t) => {
  const withPassword = (pw: string, extra: Record<string, string> = {}): DesiredState => {
    const d = example();
    const web = d.services.web;
    d.services.web = {
      ...web,
      environment: { ...web.environment, DB_PASSWORD: pw, ...extra },
      sensitive: ['DB_PASSWORD', ...Object.keys(extra)],
    };
    return d;
  };
  const d1 = withPassword('hunter2-marker');
  const o = simulate(reconcile(d1, observedEmpty(d1)), observedEmpty(d1));
  const plan = reconcile(withPassword('hunter3-marker', { API_TOKEN: 'tok-marker' }), o);
  goldenPlan(t, 'sensitive-env-change', plan, { operations: true });
  const text = planText(plan, { operations: true, verbose: true } as never);
  const json = JSON.stringify(plan);
  for (const marker of ['hunter2-marker', 'hunter3-marker', 'tok-marker', sha256('hunter2-marker')]) {
    t.false(text.includes(marker), marker);
    t.false(json.includes(marker), marker);
  }
  t.deepEqual(plan.changes[0].fields, [
    { path: 'environment.API_TOKEN', sensitive: true, change: 'added' },
    { path: 'environment.DB_PASSWORD', sensitive: true, change: 'changed' },
  ]);
  t.true(text.includes('environment.DB_PASSWORD: (sensitive value changed)'));
  t.true(text.includes('environment.API_TOKEN: (none) → (sensitive)'));
  t.true(json.includes('"DB_PASSWORD=(sensitive)"'));
  // the executor alone reveals: the create body still holds the value, behind the wrapper
  const create = plan.operations.find((op) => op.kind === 'container.create' && op.resource === 'service:web:1');
  const env = (create!.params as { body: { Env: { reveal?: () => string }[] } }).body.Env;
  t.true(env.some((e) => typeof e !== 'string' && e.reveal!() === 'DB_PASSWORD=hunter3-marker'));
});

test('changing one env value replaces only that service, one replica at a time, and names the field', (t) => {
  const d1 = example();
  const o = simulate(reconcile(d1, observedEmpty(d1)), observedEmpty(d1));
  const plan = reconcile(example({ release: 'v2' }), o);
  goldenPlan(t, 'env-change', plan, { operations: true });
  t.true(plan.changes.every((c) => c.service === 'web' && c.action === 'replace'));
  t.deepEqual(plan.changes[0].fields, [{ path: 'environment.RELEASE', after: 'v2', change: 'changed' }]);
  // batches interleave hosts (h1 first); replica 1 (batch 2) waits for replica 2's replace to settle
  const stop1 = plan.operations.find((o2) => o2.id === 'h2 stop app-web-1')!;
  t.true(stop1.deps.includes('h2 rollout web batch 2'));
  t.deepEqual(plan.operations.find((o2) => o2.id === 'h2 rollout web batch 2')!.after, ['h1 rename app-web-2_next']);
  t.is(plan.compensations.length, 3);
  // after it, nothing left to do
  t.deepEqual(reconcile(example({ release: 'v2' }), simulate(plan, o)).operations, []);
});

test('a tag pushed again (new digest) replaces and pulls', (t) => {
  const d = example();
  const o = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  o.digests[IMAGE] = DIGEST2;
  const plan = reconcile(d, o);
  t.is(plan.changes.filter((c) => c.action === 'replace').length, 5);
  t.true(plan.changes.filter((c) => c.type === 'image').length === 3);
  const web1 = plan.changes.find((c) => c.name === 'app-web-1')!;
  t.deepEqual(
    web1.fields.map((f) => f.path),
    ['digest'],
  );
});

test('the same content under another tag is not the image: the host pulls the tag it lacks', (t) => {
  const d = example();
  const o = observedEmpty(d);
  for (const h of Object.values(o.hosts))
    h.images = [
      {
        id: 'sha256:aa',
        repoTags: ['10.77.0.2:5000/busybox:other'],
        repoDigests: [`10.77.0.2:5000/busybox@${DIGEST}`],
      },
    ] as never;
  const pulls = reconcile(d, o).operations.filter((op) => op.kind === 'image.pull');
  t.true(pulls.length > 0);
  for (const h of Object.values(o.hosts))
    h.images = [{ id: 'sha256:aa', repoTags: [IMAGE], repoDigests: [`10.77.0.2:5000/busybox@${DIGEST}`] }] as never;
  t.deepEqual(
    reconcile(d, o).operations.filter((op) => op.kind === 'image.pull'),
    [],
  );
});

test('a digest the registry could not give is unknown, not changed: nothing is replaced, with a warning', (t) => {
  const d = example();
  const o = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  delete o.digests[IMAGE];
  o.digestErrors[IMAGE] = 'dial tcp 10.77.0.2:5000: connect: network is unreachable';
  const plan = reconcile(d, o);
  t.deepEqual(plan.operations, []);
  t.true(plan.diagnostics.some((x) => x.severity === 'warning' && x.summary.includes('digest not resolved')));
});

test('a changed secret replaces only the containers using it, and never shows the value', (t) => {
  const d = example();
  const o = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  const plan = reconcile(example({ dbPassword: 'other' }), o);
  goldenPlan(t, 'secret-change', plan, { operations: true });
  const replaced = plan.changes.filter((c) => c.action === 'replace').map((c) => c.name);
  t.deepEqual(replaced, ['app-db-1']);
  t.false(JSON.stringify(plan).includes('other'));
  t.deepEqual(plan.changes.find((c) => c.action === 'replace')!.fields, [
    { path: 'secrets.db_password.content', sensitive: true },
  ]);
});

test('scaling 3→5 creates 2 and touches none; 5→2 removes the highest slots', (t) => {
  const d = example();
  const o = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  const up = reconcile(example({ webReplicas: 5 }), o);
  t.deepEqual(
    up.changes.map((c) => `${c.action} ${c.name}@${c.host}`),
    ['create app-web-4@h2', 'create app-web-5@h1'],
  );
  const o5 = simulate(up, o);
  const down = reconcile(example({ webReplicas: 2 }), o5);
  t.deepEqual(down.changes.map((c) => `${c.action} ${c.name}`).sort(), [
    'delete app-web-3',
    'delete app-web-4',
    'delete app-web-5',
  ]);
  t.true(down.operations.filter((op) => op.kind === 'container.stop').length === 3);
});

test('removing a service removes its containers, keeps named volumes unless pruned', (t) => {
  const d = example();
  const o = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  const d2 = example();
  delete d2.services.db;
  delete d2.services.web.dependsOn.db;
  delete d2.services.migrate.dependsOn.db;
  d2.volumes = {};
  d2.secrets = {};
  const plan = reconcile(d2, o);
  goldenPlan(t, 'remove-service', plan, { operations: true });
  t.deepEqual(
    plan.changes.map((c) => `${c.action} ${c.type} ${c.name}`),
    ['delete container app-db-1', 'delete volume app_files_' + plan.changes[1].name.slice(10)],
  );
  t.true(plan.diagnostics.some((x) => x.summary.includes('app_data')));
  const pruned = reconcile(d2, o, { pruneVolumes: true });
  t.true(pruned.changes.some((c) => c.type === 'volume' && c.name === 'app_data' && c.action === 'delete'));
});

test('destroy removes everything but named volumes', (t) => {
  const d = example();
  const o = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  const plan = reconcile(d, o, { destroy: true });
  goldenPlan(t, 'destroy', plan, { operations: true });
  const after = simulate(plan, o);
  for (const h of Object.values(after.hosts)) {
    t.deepEqual(h.containers, []);
    t.deepEqual(h.networks, []);
    t.deepEqual(
      h.volumes.map((v) => v.name),
      h.name === 'h3' ? ['app_data'] : [],
    );
  }
});

test('--refresh drift: stopped by hand, restart policy changed, network disconnected', (t) => {
  const d = example();
  const o = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  o.refreshed = true;
  for (const h of Object.values(o.hosts))
    for (const c of h.containers)
      c.runtime = {
        running: true,
        exitCode: 0,
        restartCount: 0,
        restartPolicy: {
          name: c.service === 'web' ? 'always' : c.service === 'db' ? 'unless-stopped' : 'no',
          maximumRetryCount: 0,
        },
        networks: [...c.networks],
        resources: { memory: 0, nanoCpus: 0, pidsLimit: 0, memoryReservation: 0 },
      };
  const find = (name: string) =>
    Object.values(o.hosts)
      .flatMap((h) => h.containers)
      .find((c) => c.name === name)!;
  Object.assign(find('app-web-1').runtime!, { running: false, exitCode: 137 });
  find('app-web-2').runtime!.restartPolicy = { name: 'no', maximumRetryCount: 0 };
  find('app-web-3').runtime!.networks = ['app_default'];
  Object.assign(find('app-migrate-1').runtime!, { running: false, exitCode: 0 });
  const plan = reconcile(d, o);
  goldenPlan(t, 'refresh-drift', plan, { operations: true });
  t.deepEqual(
    plan.changes.map((c) => `${c.action} ${c.name}`),
    ['update app-web-1', 'update app-web-2', 'update app-web-3'],
  );
});

test('a replica on a host that is no longer eligible moves; global mode runs one per eligible host', (t) => {
  const d = example();
  const o = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  const d2 = example();
  d2.services.web.deploy.constraints = [{ field: 'node.hostname', op: '!=', value: 'h2', text: 'node.hostname != h2' }];
  d2.services.migrate.deploy.mode = 'global';
  const plan = reconcile(d2, o);
  t.deepEqual(plan.placement.web, { '1': 'h1', '2': 'h1', '3': 'h3' });
  t.deepEqual(plan.placement.migrate, { h1: 'h1', h2: 'h2', h3: 'h3' });
  goldenPlan(t, 'move-and-global', plan);
});

test('a replica with a named volume stays on its host, with a warning', (t) => {
  const d = example();
  const o = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  const d2 = example();
  d2.hosts[2].labels = {};
  d2.hosts[0].labels = { role: 'db' };
  const plan = reconcile(d2, o);
  t.deepEqual(plan.placement.db, { '1': 'h3' });
  t.true(plan.diagnostics.some((x) => x.severity === 'warning' && x.summary.includes('named volume')));
});

test('unreachable host and impossible constraints are errors', (t) => {
  const d = example();
  const o = observedEmpty(d);
  o.hosts.h3.error = 'connect ECONNREFUSED';
  const plan = reconcile(d, o);
  t.deepEqual(
    plan.diagnostics.filter((x) => x.severity === 'error').map((x) => x.summary),
    [
      'host h3 is unreachable: connect ECONNREFUSED',
      'service db: no host satisfies the placement constraints (node.labels.role == db)',
    ],
  );
});

test('deploy.restart_policy maps onto the Engine policy and warns about delay and window', (t) => {
  const s = service('w', {
    deploy: { restartPolicy: { condition: 'on-failure', maxAttempts: 3, delayNs: 5e9, windowNs: 60e9 } },
  });
  const d = desired([s]);
  const plan = reconcile(d, observedEmpty(d));
  const create = plan.operations.find((o) => o.kind === 'container.create')!;
  t.deepEqual((create.params.body as any).HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  t.deepEqual(
    plan.diagnostics.map((x) => x.summary),
    [
      'deploy.restart_policy.delay cannot be passed to the Engine and is ignored',
      'deploy.restart_policy.window cannot be passed to the Engine and is ignored',
    ],
  );
});

test('without --refresh, a stopped replica seen in the list is started again; a completed one-shot and a paused one are left', (t) => {
  const d = example();
  const o = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  const find = (name: string) =>
    Object.values(o.hosts)
      .flatMap((h) => h.containers)
      .find((c) => c.name === name)!;
  Object.assign(find('app-web-1'), { state: 'exited', exitCode: 137 });
  Object.assign(find('app-web-2'), { state: 'paused' });
  Object.assign(find('app-migrate-1'), { state: 'exited', exitCode: 0 });
  const plan = reconcile(d, o);
  t.deepEqual(
    plan.changes.map((c) => `${c.action} ${c.name}: ${c.cause}`),
    ['update app-web-1: stopped (exit 137)'],
  );
  t.deepEqual(
    plan.operations.map((op) => op.id),
    [plan.operations.find((op) => op.kind === 'container.start')!.id],
  );
  t.regex(plan.operations[0].id, /start app-web-1/);
});

test("depends_on service_healthy: a dependency without a test in the file is waited on through its image's healthcheck; one whose healthcheck is disabled is an error at the depends_on", (t) => {
  const web = service('web', { dependsOn: { db: { condition: 'service_healthy', required: true, restart: false } } });
  const fromImage = desired([web, service('db')]);
  const plan = reconcile(fromImage, observedEmpty(fromImage));
  t.deepEqual(
    plan.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const wait = plan.operations.find((o) => o.kind === 'container.wait-healthy')!;
  t.like(wait.params, { name: 'app-db-1', healthcheckFrom: 'container' });
  const start = plan.operations.find((o) => o.kind === 'container.start' && o.params.name === 'app-web-1')!;
  t.true(start.deps.includes(wait.id), 'web starts after the wait');

  const fileTest = desired([web, service('db', { healthcheck: { test: ['CMD', 'true'], intervalNs: 1e9 } })]);
  t.is(
    reconcile(fileTest, observedEmpty(fileTest)).operations.find((o) => o.kind === 'container.wait-healthy')!.params
      .healthcheckFrom,
    undefined,
    "the file's test: nothing to look up",
  );

  const disabled = desired([web, service('db', { healthcheck: { test: ['NONE'] } })]);
  const refused = reconcile(disabled, observedEmpty(disabled)).diagnostics.filter((d) => d.severity === 'error');
  t.is(refused.length, 1);
  t.is(refused[0].summary, "service web waits for db to be healthy, but db's healthcheck is disabled");
  t.is(refused[0].where?.path, 'services.web.depends_on.db');
});

test('a replica left stopped (exit 0) by an interrupted replace or rollback of its slot is started again, not taken for a completed one-shot', (t) => {
  const d = example();
  const o = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  const host = Object.values(o.hosts).find((h) => h.containers.some((c) => c.name === 'app-migrate-1'))!;
  const old = host.containers.find((c) => c.name === 'app-migrate-1')!;
  // A TERM handler exits 0: what stack's own stop leaves when a second Ctrl-C lands between the put-back's rename and start.
  Object.assign(old, { state: 'exited', exitCode: 0 });
  host.containers.push({
    ...structuredClone(old),
    id: 'leftover-next',
    name: 'app-migrate-1_next',
    role: 'temporary',
    state: 'exited',
    exitCode: 3,
  });
  const plan = reconcile(d, o);
  t.deepEqual(plan.changes.map((c) => `${c.action} ${c.name}: ${c.cause}`).sort(), [
    'delete app-migrate-1_next: left over from an interrupted replace',
    'update app-migrate-1: stopped by an interrupted run',
  ]);
  t.truthy(plan.operations.find((op) => op.kind === 'container.start' && op.params.name === 'app-migrate-1'));
});
