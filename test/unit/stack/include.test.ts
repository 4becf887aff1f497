import path from 'node:path';
import test from 'ava';
import { errors, find, load, where } from './helpers.js';

test('include: an included project adds its services, volumes and networks; its paths resolve in its folder', async (t) => {
  const r = await load({
    'compose.yaml': 'include:\n  - db/compose.yaml\nservices:\n  web:\n    image: busybox\n    depends_on: [db]\n',
    'db/compose.yaml':
      'services:\n  db:\n    image: busybox:${DB_TAG}\n    env_file: db.env\n    volumes: ["./init:/init:ro", "data:/data"]\n    networks: [back]\nvolumes:\n  data: {}\nnetworks:\n  back: {}\n',
    'db/.env': 'DB_TAG=1.35\n',
    'db/db.env': 'FROM_FILE=yes\n',
  });
  t.deepEqual(errors(r), []);
  const db = r.value!.services.db;
  t.is(db.image, 'busybox:1.35');
  t.is(db.environment.FROM_FILE, 'yes');
  t.is(db.mounts[0].source, path.join(r.dir, 'db', 'init'));
  t.truthy(r.value!.volumes.data);
  t.truthy(r.value!.networks.back);
  t.truthy(r.value!.services.web);
});

test('include long form: several paths (later ones override), project_directory, env_file', async (t) => {
  const r = await load({
    'compose.yaml': [
      'include:',
      '  - path: [sub/a.yaml, sub/a.override.yaml]',
      '    project_directory: sub/dir',
      '    env_file: sub/vars.env',
      'services:',
      '  web: { image: busybox }',
      '',
    ].join('\n'),
    'sub/a.yaml': 'services:\n  a:\n    image: busybox:${TAG}\n    volumes: ["./x:/x"]\n',
    'sub/a.override.yaml': 'services:\n  a:\n    user: nobody\n',
    'sub/vars.env': 'TAG=2\n',
  });
  t.deepEqual(errors(r), []);
  const a = r.value!.services.a;
  t.is(a.image, 'busybox:2');
  t.is(a.user, 'nobody');
  t.is(a.mounts[0].source, path.join(r.dir, 'sub', 'dir', 'x'));
});

test('include: the including project variables win over the include env_file', async (t) => {
  const r = await load(
    {
      'compose.yaml': 'include: [sub/compose.yaml]\n',
      'sub/compose.yaml': 'services:\n  a: { image: "busybox:${TAG}" }\n',
      'sub/.env': 'TAG=from-file\n',
    },
    { env: { TAG: 'from-env' } },
  );
  t.deepEqual(errors(r), []);
  t.is(r.value!.services.a.image, 'busybox:from-env');
});

test('include refusals: outside the folder, absolute outside, remote, cycle, conflict — with positions', async (t) => {
  const r = await load({
    'compose.yaml': [
      'include:',
      '  - ../../etc/compose.yaml',
      '  - /etc/compose.yaml',
      '  - https://example.com/compose.yaml',
      '  - path: git@github.com:org/repo.git',
      '  - path: [loop.yaml]',
      '  - path: other.yaml',
      '    project_directory: ../..',
      '  - dup.yaml',
      'services:',
      '  web: { image: busybox }',
      '',
    ].join('\n'),
    'loop.yaml': 'include: [compose.yaml]\nservices:\n  l: { image: busybox }\n',
    'other.yaml': 'services:\n  o: { image: busybox }\n',
    'dup.yaml': 'services:\n  web: { image: "busybox:2" }\n',
  });
  t.is(where(find(r, 'include ../../etc/compose.yaml is outside the project folder')), 'compose.yaml:2:5 include[0]');
  t.is(where(find(r, 'include /etc/compose.yaml is outside the project folder')), 'compose.yaml:3:5 include[1]');
  t.is(where(find(r, 'include https://example.com/compose.yaml is remote')), 'compose.yaml:4:5 include[2]');
  t.is(where(find(r, 'include git@github.com:org/repo.git is remote')), 'compose.yaml:5:11 include[3].path');
  t.is(where(find(r, 'include forms a cycle: compose.yaml → loop.yaml → compose.yaml')), 'loop.yaml:1:11 include[0]');
  t.is(where(find(r, 'include ../.. is outside')), 'compose.yaml:8:24 include[5].project_directory');
  const conflict = find(r, 'services.web is defined in both compose.yaml and dup.yaml (included)');
  t.is(where(conflict), 'compose.yaml:11:3 services.web');
});

test('include: a missing included file and a bad entry are errors at the entry', async (t) => {
  const r = await load({
    'compose.yaml':
      'include:\n  - nope.yaml\n  - 42\n  - { path: a.yaml, extra: 1 }\nservices:\n  web: { image: busybox }\n',
    'a.yaml': 'services: {}\n',
  });
  t.is(where(find(r, 'included file nope.yaml does not exist')), 'compose.yaml:2:5 include[0]');
  t.is(where(find(r, 'an include entry must be')), 'compose.yaml:3:5 include[1]');
  t.is(where(find(r, 'unknown key extra in include')), 'compose.yaml:4:28 include[2].extra');
});

test('include: the same file reached twice (identical definitions) is not a conflict', async (t) => {
  const r = await load({
    'compose.yaml': 'include: [a.yaml, b.yaml]\n',
    'a.yaml': 'include: [common.yaml]\nservices:\n  a: { image: busybox }\n',
    'b.yaml': 'include: [common.yaml]\nservices:\n  b: { image: busybox }\n',
    'common.yaml': 'services:\n  c: { image: busybox }\n',
  });
  t.deepEqual(errors(r), []);
  t.deepEqual(Object.keys(r.value!.services).sort(), ['a', 'b', 'c']);
});

test('include: a diamond of includes many levels deep stops at the file budget, with one error', async (t) => {
  const files: Record<string, string> = { 'compose.yaml': 'include: [l0.yaml, l0.yaml]\n' };
  for (let i = 0; i < 12; i++) files[`l${i}.yaml`] = `include: [l${i + 1}.yaml, l${i + 1}.yaml]\n`;
  files['l12.yaml'] = 'services:\n  a: { image: busybox }\n';
  const r = await load(files);
  t.is(r.diagnostics.filter((d) => d.summary.includes('include reads more than 1000 files')).length, 1);
});
