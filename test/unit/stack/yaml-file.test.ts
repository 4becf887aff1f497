import test from 'ava';
import { errors, find, load, where, yaml } from './helpers.js';

test('invalid UTF-8 is reported at the offending byte', async (t) => {
  const bytes = Buffer.concat([
    Buffer.from('services:\n  web:\n    image: caf'),
    Buffer.from([0xe9]),
    Buffer.from('\n'),
  ]);
  const result = await load({ 'compose.yaml': bytes });
  const e = find(result, 'not valid UTF-8');
  t.is(where(e), 'compose.yaml:3:15');
  t.is(result.value, undefined);
});

test('an empty file is an error', async (t) => {
  const result = await load({ 'compose.yaml': '# nothing here\n' });
  t.is(where(find(result, 'the file is empty')), 'compose.yaml:1:1');
});

test('a multi-document file is an error at the second document', async (t) => {
  const result = await load({ 'compose.yaml': 'services:\n  a:\n    image: x\n---\nservices:\n  b:\n    image: y\n' });
  t.is(where(find(result, '2 YAML documents')), 'compose.yaml:4:1');
});

test('YAML syntax errors and duplicate keys carry line:col', async (t) => {
  const dup = await load({ 'compose.yaml': 'services:\n  web:\n    image: a\n    image: b\n' });
  t.is(where(find(dup, 'unique')), 'compose.yaml:4:5');
  const bad = await load({ 'compose.yaml': 'services:\n  web:\n    image: [a\n' });
  t.true(errors(bad).length > 0);
  t.regex(where(errors(bad)[0]), /^compose\.yaml:\d+:\d+$/);
});

test('a top level that is not a mapping is an error', async (t) => {
  const result = await load({ 'compose.yaml': '- a\n- b\n' });
  t.truthy(find(result, 'must be a mapping'));
});

test('anchors, aliases, merge keys and x- fragments work; positions point at the anchor', async (t) => {
  const result = await load({
    'compose.yaml': yaml`
      x-defaults: &defaults
        image: busybox:1.35
        restart: always
        stop_grace_period: 1 minute
      services:
        a:
          <<: *defaults
        b:
          <<: *defaults
          stop_grace_period: 5s
    `,
  });
  t.is(where(find(result, 'must be a duration')), 'compose.yaml:4:22 services.a.stop_grace_period');
  t.is(errors(result).length, 1);
  const ok = await load({
    'compose.yaml':
      'x-img: &img busybox:1.35\nservices:\n  a:\n    image: *img\n    restart: always\n  b:\n    image: *img\n',
  });
  t.is(ok.value?.services.a.image, 'busybox:1.35');
  t.is(ok.value?.services.b.image, 'busybox:1.35');
});

test('no stack file in the folder is an error naming the files looked for', async (t) => {
  const result = await load({ README: 'x' });
  t.regex(find(result, 'no stack file found').hint ?? '', /compose\.yaml/);
});

test('a default file is found, and compose.override.yaml is merged over it', async (t) => {
  const result = await load({
    'docker-compose.yml': 'services:\n  web:\n    image: busybox:1\n',
    'compose.override.yaml': 'services:\n  web:\n    image: busybox:2\n',
  });
  t.is(result.value?.services.web.image, 'busybox:2');
  t.is(result.value?.files.length, 2);
});
