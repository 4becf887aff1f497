/**
 * `build:` in the stack file and `registry:`/`builder:` in the inventory: the normalised BuildSpec, the image it
 * is pushed as, and every refusal (no registry, a context outside the project or remote, a Dockerfile outside
 * the context, keys the classic builder does not take), each at its file:line:col.
 */
import path from 'node:path';
import test from 'ava';
import { errors, find, load, where } from './helpers.js';
import { formatConfig } from '../../../src/cli/views/config.js';

const INVENTORY = 'hosts:\n  h1: { endpoint: "unix:///run/h1.sock" }\n  h2: { endpoint: "unix:///run/h2.sock" }\n';
const WITH_BUILD = `${INVENTORY}registry: 10.77.0.2:5000\nbuilder: h1\n`;

function withInventory(compose: string, inventory = WITH_BUILD, more: Record<string, string> = {}) {
  return load({ 'compose.yaml': compose, 'inventory.yaml': inventory, ...more }, { inventory: 'inventory.yaml' });
}

test('build: a folder (short form): the context resolved, Dockerfile by default, image REGISTRY/PROJECT-SERVICE', async (t) => {
  const r = await withInventory('name: shop\nservices:\n  Web_1:\n    build: ./web\n');
  t.deepEqual(errors(r), []);
  const s = r.value!.services.Web_1;
  t.is(s.image, '10.77.0.2:5000/shop-web_1');
  t.deepEqual(s.build, { context: path.join(r.dir, 'web'), dockerfile: 'Dockerfile', args: {}, labels: {} });
  t.is(r.value!.settings.build?.registry, '10.77.0.2:5000');
  t.is(r.value!.settings.build?.builder.name, 'h1');
});

test('build: long form with dockerfile, args (a name alone from the environment), target, labels; sensitive args named', async (t) => {
  const r = await load(
    {
      'compose.yaml':
        'name: shop\nservices:\n  api:\n    build:\n      context: .\n      dockerfile: docker/api.Dockerfile\n' +
        '      args: ["VERSION=${TAG}", FROM_ENV, UNSET, API_TOKEN=abc]\n      target: prod\n      labels: { team: core }\n',
      'inventory.yaml': WITH_BUILD,
    },
    { inventory: 'inventory.yaml', env: { TAG: '1.2', FROM_ENV: 'x' } },
  );
  t.deepEqual(errors(r), []);
  const b = r.value!.services.api.build!;
  t.is(b.context, r.dir);
  t.is(b.dockerfile, 'docker/api.Dockerfile');
  t.deepEqual(b.args, { API_TOKEN: 'abc', FROM_ENV: 'x', VERSION: '1.2' });
  t.deepEqual(b.sensitiveArgs, ['API_TOKEN']);
  t.is(b.target, 'prod');
  t.deepEqual(b.labels, { team: 'core' });
});

test('dockerfile_inline is kept; with dockerfile beside it, an error', async (t) => {
  const ok = await withInventory('services:\n  a:\n    build: { dockerfile_inline: "FROM busybox" }\n');
  t.deepEqual(errors(ok), []);
  t.is(ok.value!.services.a.build!.dockerfileInline, 'FROM busybox');
  const both = await withInventory(
    'services:\n  a:\n    build: { dockerfile: Dockerfile, dockerfile_inline: "FROM busybox" }\n',
  );
  t.regex(
    where(find(both, 'dockerfile and dockerfile_inline are both set')),
    /compose\.yaml:3:\d+ services\.a\.build\.dockerfile_inline/,
  );
});

for (const [context, message] of [
  ['..', 'is outside the project folder'],
  ['/', 'is outside the project folder'],
  ['../../etc', 'is outside the project folder'],
  ['https://github.com/x/y.git', 'is remote'],
  ['git@github.com:x/y.git', 'is remote'],
  ['github.com/x/y', 'is remote'],
] as const)
  test(`context ${context}: refused (${message}), at the key`, async (t) => {
    const r = await withInventory(`services:\n  a:\n    build: { context: "${context}" }\n`);
    const e = find(r, message);
    t.is(where(e), 'compose.yaml:3:23 services.a.build.context');
    t.is(r.value, undefined);
  });

test('a Dockerfile outside the context is refused', async (t) => {
  const r = await withInventory('services:\n  a:\n    build: { context: sub, dockerfile: ../Dockerfile }\n');
  t.is(
    where(find(r, 'the Dockerfile ../Dockerfile is outside the build context')),
    'compose.yaml:3:40 services.a.build.dockerfile',
  );
});

for (const key of [
  'additional_contexts',
  'ssh',
  'secrets',
  'cache_from',
  'platforms',
  'tags',
  'network',
  'privileged',
  'no_cache_filter',
])
  test(`build.${key} is refused with a reason`, async (t) => {
    const r = await withInventory(`services:\n  a:\n    build:\n      context: .\n      ${key}: [x]\n`);
    const e = find(r, `${key} is not supported —`);
    t.is(where(e), `compose.yaml:5:7 services.a.build.${key}`);
  });

test('an unknown build key is an error', async (t) => {
  const r = await withInventory('services:\n  a:\n    build: { context: ., contxt: x }\n');
  t.true(errors(r).some((e) => /contxt/.test(e.summary)));
});

test('inventory: registry without builder, builder without registry, a builder that is not a host', async (t) => {
  const compose = 'services:\n  a: { image: busybox }\n';
  const noBuilder = await withInventory(compose, `${INVENTORY}registry: r.example:5000\n`);
  t.regex(find(noBuilder, 'registry: without builder:').hint ?? '', /a host of this inventory, or local/);
  const noRegistry = await withInventory(compose, `${INVENTORY}builder: h1\n`);
  t.truthy(find(noRegistry, 'builder: without registry:'));
  const stranger = await withInventory(compose, `${INVENTORY}registry: r.example:5000\nbuilder: h9\n`);
  t.regex(find(stranger, 'builder: h9 is not a host of this inventory').hint ?? '', /h1, h2/);
  const local = await withInventory(compose, `${INVENTORY}registry: r.example:5000/team\nbuilder: local\n`);
  t.deepEqual(errors(local), []);
  t.is(local.value!.settings.build?.builder.name, 'local');
  const bad = await withInventory(compose, `${INVENTORY}registry: "https://r.example"\nbuilder: h1\n`);
  t.truthy(find(bad, 'must be HOST[:PORT][/PATH]'));
});

test('stack config shows a sensitive build arg masked, and the builder as an inventory writes it', async (t) => {
  const r = await withInventory(
    'services:\n  a:\n    build:\n      context: .\n      args: { API_TOKEN: abc123, GREETING: hi }\n',
  );
  const text = formatConfig(r.value!);
  t.notRegex(text, /abc123/);
  t.regex(text, /API_TOKEN: \(sensitive\)/);
  t.regex(text, /GREETING: hi/);
  t.regex(text, /builder:\n\s+name: h1\n\s+endpoint: unix:\/\/\/run\/h1\.sock/);
});
