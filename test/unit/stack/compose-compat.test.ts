/**
 * Issue 22: files load as `docker compose` (compose-go) loads them — one test per difference the comparison found,
 * each asserting the loaded value or the diagnostic with file:line:col.
 */
import path from 'node:path';
import test from 'ava';
import { BASELINE_POLICY } from '../../../src/stack/policy/types.js';
import { policyReport } from '../../../src/stack/policy/report.js';
import { loadStack } from '../../../src/stack/index.js';
import { errors, find, load, schema, warnings, where, yaml } from './helpers.js';

const app = (extra = '') => `services:\n  app:\n    image: busybox:1.36\n${extra}`;

test('1. COMPOSE_PROJECT_NAME names the stack (environment first, then .env) and is there for interpolation', async (t) => {
  const fromDotEnv = await load({
    'compose.yaml': app('    labels: { project: "${COMPOSE_PROJECT_NAME}" }\n'),
    '.env': 'COMPOSE_PROJECT_NAME=shop\n',
  });
  t.deepEqual(errors(fromDotEnv), []);
  t.is(fromDotEnv.value?.name, 'shop');
  t.is(fromDotEnv.value?.services.app.labels.project, 'shop');

  const fromEnv = await load(
    { 'compose.yaml': `name: other\n${app()}`, '.env': 'COMPOSE_PROJECT_NAME=shop\n' },
    { env: { COMPOSE_PROJECT_NAME: 'store', STACK_NAME: 'ignored' } },
  );
  t.is(fromEnv.value?.name, 'store');

  // Unset everywhere: ${COMPOSE_PROJECT_NAME} is the name stack chose (here the file's), without a warning.
  const derived = await load({ 'compose.yaml': `name: web\n${app('    hostname: ${COMPOSE_PROJECT_NAME}-app\n')}` });
  t.deepEqual(derived.diagnostics, []);
  t.is(derived.value?.services.app.hostname, 'web-app');

  const flag = await load({ 'compose.yaml': app(), '.env': 'COMPOSE_PROJECT_NAME=shop\n' }, { projectName: 'cli' });
  t.is(flag.value?.name, 'cli');

  const invalid = await load({ 'compose.yaml': app(), '.env': 'COMPOSE_PROJECT_NAME=Shop Front\n' });
  t.regex(find(invalid, 'invalid stack name').summary, /from COMPOSE_PROJECT_NAME/);
});

test('2. integers beyond 2^53 keep their literal text where Compose keeps strings', async (t) => {
  const r = await load({
    'compose.yaml': app(
      '    environment: { CHANNEL_ID: 123456789012345678, SMALL: 42, NEGATIVE: -98765432109876543210 }\n    labels: [big=1]\n    sysctls: { net.x: 123456789012345678 }\n',
    ),
  });
  t.deepEqual(errors(r), []);
  t.is(r.value?.services.app.environment.CHANNEL_ID, '123456789012345678');
  t.is(r.value?.services.app.environment.SMALL, '42');
  t.is(r.value?.services.app.environment.NEGATIVE, '-98765432109876543210');
  t.is(r.value?.services.app.sysctls['net.x'], '123456789012345678');
});

test("3. a relative device: in a local volume's bind driver_opts resolves against the project folder", async (t) => {
  const r = await load({
    'compose.yaml': yaml`
      services:
        app: { image: busybox:1.36, volumes: [data:/data] }
      volumes:
        data: { driver: local, driver_opts: { type: none, o: bind, device: ./data } }
        nfs: { driver_opts: { type: nfs, o: "addr=10.0.0.1", device: ":/export" } }
    `,
  });
  t.deepEqual(errors(r), []);
  t.is(r.value?.volumes.data.driverOpts.device, path.join(r.dir, 'data'));
  t.is(r.value?.volumes.nfs.driverOpts.device, ':/export');

  // The policy's bind-denied-path rule sees the absolute path.
  const up = await load({
    'sub/compose.yaml': yaml`
      services:
        app: { image: busybox:1.36, volumes: [etc:/host-etc] }
      volumes:
        etc: { driver_opts: { type: none, o: bind, device: ../../../../../../../../etc } }
    `,
  }).then(({ dir }) => loadStack({ cwd: path.join(dir, 'sub'), env: {}, schema, checkPolicy: false }));
  t.is(up.value?.volumes.etc.driverOpts.device, '/etc');
  const report = policyReport(up.value!, BASELINE_POLICY, () => ({}));
  t.true(report.diagnostics.some((d) => d.summary.includes('binds /etc')));
});

test("4. ${VAR} in an env_file sees the service's environment:, and environment: wins over the file", async (t) => {
  const r = await load(
    {
      'compose.yaml': app('    env_file: app.env\n    environment: { HOST: db, PORT: "5432", FROM_RUN: }\n'),
      'app.env': 'URL=postgres://${HOST}:${PORT}/app\nPORT=1\nONLY_FILE=yes\nSHADOWED=${SHADOWED_BY_ENV}\n',
    },
    { env: { FROM_RUN: 'run', HOST: 'from-env', SHADOWED_BY_ENV: 'outer' } },
  );
  t.deepEqual(errors(r), []);
  const env = r.value?.services.app.environment;
  // The variables stack runs with come first (as in Compose), then the service's environment.
  t.is(env?.URL, 'postgres://from-env:5432/app');
  t.is(env?.PORT, '5432');
  t.is(env?.ONLY_FILE, 'yes');
  t.is(env?.FROM_RUN, 'run');
  t.is(env?.SHADOWED, 'outer');
  const serviceOnly = await load({
    'compose.yaml': app('    env_file: app.env\n    environment: { HOST: db }\n'),
    'app.env': 'URL=http://${HOST}\n',
  });
  t.is(serviceOnly.value?.services.app.environment.URL, 'http://db');
});

test('5. restart: with deploy.restart_policy runs the deploy policy, as Compose does', async (t) => {
  const r = await load({
    'compose.yaml': app(
      '    restart: always\n    deploy: { restart_policy: { condition: on-failure, max_attempts: 3 } }\n',
    ),
  });
  t.deepEqual(errors(r), []);
  t.deepEqual(r.value?.services.app.restart, { name: 'on-failure', maximumRetryCount: 3 });
  t.is(where(find(r, 'restart is not used')), 'compose.yaml:4:5 services.app.restart');
});

test('6. a long-syntax bind without create_host_path creates the host path, as Compose does', async (t) => {
  const r = await load({
    'compose.yaml': app(
      '    volumes:\n      - { type: bind, source: ./conf, target: /conf }\n      - { type: bind, source: ./x, target: /x, bind: { create_host_path: false } }\n',
    ),
  });
  t.deepEqual(errors(r), []);
  t.deepEqual(r.value?.services.app.mounts[0].bind, { createHostPath: true });
  t.deepEqual(r.value?.services.app.mounts[1].bind, { createHostPath: false });
});

test('7. a merge key through an alias to a list of mappings merges each, earlier ones winning', async (t) => {
  const r = await load({
    'compose.yaml': yaml`
      x-a: &a { image: busybox:1.36, hostname: a }
      x-b: &b { hostname: b, user: nobody }
      x-both: &both [*a, *b]
      services:
        app:
          <<: *both
          working_dir: /w
    `,
  });
  t.deepEqual(errors(r), []);
  const spec = r.value?.services.app;
  t.is(spec?.image, 'busybox:1.36');
  t.is(spec?.hostname, 'a');
  t.is(spec?.user, 'nobody');
  t.is(spec?.workingDir, '/w');

  const bad = await load({
    'compose.yaml': 'x-l: &l [1, 2]\nservices:\n  app:\n    <<: *l\n    image: busybox:1.36\n',
  });
  t.is(where(find(bad, 'the value of << must be a mapping or a list of mappings')), 'compose.yaml:1:10');
});

test('8. a null label value, quoted booleans and an uppercase name: load as in Compose', async (t) => {
  const r = await load({
    'compose.yaml': `name: My_Shop\n${app('    labels: { empty: , tier: web }\n    read_only: "true"\n    init: "false"\n    privileged: "False"\n')}`,
  });
  t.deepEqual(errors(r), []);
  t.is(r.value?.name, 'my_shop');
  t.is(where(find(r, 'name: My_Shop is read as my_shop')), 'compose.yaml:1:7 name');
  t.deepEqual(r.value?.services.app.labels, { empty: '', tier: 'web' });
  t.true(r.value?.services.app.readOnly);
  t.is(r.value?.services.app.init, false);
  t.false(r.value?.services.app.privileged);
  const notBoolean = await load({ 'compose.yaml': app('    read_only: "maybe"\n') });
  t.is(where(find(notBoolean, 'must be a boolean')), 'compose.yaml:4:16 services.app.read_only');
});

test('9. bracketed IPv6 in extra_hosts loses its brackets; pre_start is refused with a reason', async (t) => {
  const r = await load({
    'compose.yaml': app('    extra_hosts: ["v6=[::1]", "v6b:[2001:db8::1]", "v4=10.0.0.1"]\n'),
  });
  t.deepEqual(errors(r), []);
  t.deepEqual(r.value?.services.app.extraHosts, ['v6:::1', 'v6b:2001:db8::1', 'v4:10.0.0.1']);
  const map = await load({ 'compose.yaml': app('    extra_hosts: { v6: "[::1]" }\n') });
  t.deepEqual(map.value?.services.app.extraHosts, ['v6:::1']);
  // host=ip1,ip2 is one host with two addresses (compose-go's fixture extra_hosts_test.go); the map form too
  // (compose-go keeps that one as a single entry the Engine refuses).
  const several = await load({ 'compose.yaml': app('    extra_hosts: ["db=10.0.0.1,10.0.0.2"]\n') });
  t.deepEqual(several.value?.services.app.extraHosts, ['db:10.0.0.1', 'db:10.0.0.2']);
  const severalMap = await load({ 'compose.yaml': app('    extra_hosts: { db: "10.0.0.1,[::1]" }\n') });
  t.deepEqual(severalMap.value?.services.app.extraHosts, ['db:10.0.0.1', 'db:::1']);

  const hooks = await load({ 'compose.yaml': app('    pre_start: [{ command: [echo, hi] }]\n') });
  const e = find(hooks, 'pre_start is not supported');
  t.is(e.severity, 'error');
  t.is(where(e), 'compose.yaml:4:5 services.app.pre_start');
  t.notRegex(e.summary, /unknown/);
});

test('10. what Compose refuses is refused: integer keys, x- service names, KEY = v, watch without action, distinct cpus', async (t) => {
  const intKey = await load({ 'compose.yaml': app('    labels: { 1: one }\n') });
  t.is(where(find(intKey, 'keys must be strings')), 'compose.yaml:4:15');

  const xName = await load({ 'compose.yaml': `${app()}  x-helper:\n    image: busybox:1.36\n` });
  t.is(where(find(xName, 'x-helper')), 'compose.yaml:4:3 services.x-helper');

  const spaced = await load({ 'compose.yaml': app('    environment:\n      - KEY = v\n      - OK=1\n') });
  t.is(where(find(spaced, 'holds blanks')), 'compose.yaml:5:9 services.app.environment[0]');
  t.is(errors(spaced).length, 1);

  const watch = await load({
    'compose.yaml': app('    develop:\n      watch:\n        - path: ./src\n          target: /src\n'),
  });
  t.is(where(find(watch, 'action')), 'compose.yaml:6:11 services.app.develop.watch[0]');
  const goodWatch = await load({
    'compose.yaml': app('    develop:\n      watch:\n        - { path: ./src, action: rebuild }\n'),
  });
  t.deepEqual(errors(goodWatch), []);
  t.truthy(find(goodWatch, 'develop is ignored'));

  const cpus = await load({
    'compose.yaml': app('    cpus: 1\n    deploy: { resources: { limits: { cpus: "2" } } }\n'),
  });
  const e = find(cpus, 'cpus');
  t.is(e.severity, 'error');
  t.is(where(e), 'compose.yaml:4:5 services.app.cpus');
  const same = await load({
    'compose.yaml': app('    cpus: 2\n    deploy: { resources: { limits: { cpus: "2" } } }\n'),
  });
  t.deepEqual(errors(same), []);
  t.deepEqual(warnings(same), []);
});

test('11. an unclosed quote is reported at the quote; services: [app] says only that services must be a mapping', async (t) => {
  const quote = await load({ 'compose.yaml': app('    command: "echo hi\n    user: nobody\n') });
  const e = errors(quote);
  t.is(e.length, 1);
  t.is(where(e[0]), 'compose.yaml:4:14');
  t.regex(e[0].summary, /quote/);

  const list = await load({ 'compose.yaml': 'services: [app]\n' });
  t.is(errors(list).length, 1);
  t.notRegex(errors(list)[0].summary, /defines no services/);
});

test("compose-go 2.16's jobs, umask and use_service_name_alias are refused with a reason, at their key", async (t) => {
  const r = await load({
    'compose.yaml':
      app('    umask: "0022"\n    networks:\n      default: { use_service_name_alias: false }\n') +
      'jobs:\n  once:\n    image: busybox:1.36\n    triggers: { manual: true }\n',
  });
  const jobs = find(r, 'jobs is not supported');
  t.is(where(jobs), 'compose.yaml:7:1 jobs');
  t.regex(jobs.hint ?? '', /restart: "no"/);
  t.is(where(find(r, 'umask is not supported')), 'compose.yaml:4:5 services.app.umask');
  t.is(
    where(find(r, 'use_service_name_alias is not supported')),
    'compose.yaml:6:18 services.app.networks.default.use_service_name_alias',
  );
  t.false(errors(r).some((e) => e.summary.includes('unknown key')));
});
