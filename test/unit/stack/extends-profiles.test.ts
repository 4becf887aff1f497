import path from 'node:path';
import test from 'ava';
import { errors, find, load, where, yaml } from './helpers.js';

test('extends a service of the same file; own keys win, lists merge', async (t) => {
  const r = await load({
    'compose.yaml': yaml`
      services:
        base:
          image: busybox:1.35
          environment: { A: "1" }
          restart: always
        web:
          extends: base
          environment: { B: "2" }
        worker:
          extends: { service: web }
          restart: "no"
    `,
  });
  t.deepEqual(errors(r), []);
  t.deepEqual(r.value?.services.web.environment, { A: '1', B: '2' });
  t.is(r.value?.services.web.restart.name, 'always');
  t.is(r.value?.services.worker.image, 'busybox:1.35');
  t.is(r.value?.services.worker.restart.name, 'no');
});

test('extends a service of another file; its relative paths stay relative to that file', async (t) => {
  const r = await load({
    'compose.yaml': 'services:\n  web:\n    extends: { file: common/base.yaml, service: app }\n    user: nobody\n',
    'common/base.yaml':
      'services:\n  app:\n    image: busybox:${TAG:-1}\n    env_file: app.env\n    volumes: ["./html:/www:ro"]\n',
    'common/app.env': 'FROM_FILE=yes\n',
  });
  t.deepEqual(errors(r), []);
  const web = r.value!.services.web;
  t.is(web.image, 'busybox:1');
  t.is(web.environment.FROM_FILE, 'yes');
  t.is(web.mounts[0].source, path.join(r.dir, 'common', 'html'));
  t.is(web.user, 'nobody');
});

test('extends errors: unknown service, missing file, cycle — with positions', async (t) => {
  const r = await load({
    'compose.yaml': yaml`
      services:
        a:
          image: busybox
          extends: nope
        b:
          image: busybox
          extends: { service: x, file: missing.yaml }
        c:
          image: busybox
          extends: d
        d:
          image: busybox
          extends: c
    `,
  });
  t.is(where(find(r, 'extends names service "nope"')), 'compose.yaml:4:14 services.a.extends');
  t.is(where(find(r, 'missing.yaml does not exist')), 'compose.yaml:7:34 services.b.extends.file');
  t.regex(where(find(r, 'extends forms a cycle')), /^compose\.yaml:1[03]:\d+ services\.[cd]\.extends$/);
});

const profiled = yaml`
  services:
    web:
      image: busybox
      depends_on: [debug]
    debug:
      image: busybox
      profiles: [debug]
    tools:
      image: busybox
      profiles: [tools, debug]
`;

test('profiles: services with profiles run only when one is active', async (t) => {
  const none = await load({ 'compose.yaml': profiled.replace('depends_on: [debug]', 'hostname: web') });
  t.deepEqual(Object.keys(none.value!.services), ['web']);
  const debug = await load({ 'compose.yaml': profiled }, { profiles: ['debug'] });
  t.deepEqual(Object.keys(debug.value!.services), ['debug', 'tools', 'web']);
  const fromEnv = await load({ 'compose.yaml': profiled }, { env: { COMPOSE_PROFILES: 'tools,debug' } });
  t.deepEqual(Object.keys(fromEnv.value!.services), ['debug', 'tools', 'web']);
  const all = await load({ 'compose.yaml': profiled }, { profiles: ['*'] });
  t.is(Object.keys(all.value!.services).length, 3);
});

test('depending on a service disabled by profiles is an error with a hint', async (t) => {
  const r = await load({ 'compose.yaml': profiled });
  const e = find(r, 'not enabled by the active profiles');
  t.is(where(e), 'compose.yaml:4:18 services.web.depends_on[0]');
  t.regex(e.hint ?? '', /--profile/);
});
