import path from 'node:path';
import test from 'ava';
import { stackOptionsFrom } from '../../../src/cli/stack-options.js';
import { loadStack } from '../../../src/stack/index.js';
import { errors, find, load, schema, where, writeTree, yaml } from './helpers.js';

const sandboxInventory = yaml`
  hosts:
    h1: { endpoint: "tcp://10.77.0.11:2376", tls: { ca: certs/ca.pem, cert: certs/cert.pem, key: certs/key.pem }, labels: { role: web } }
    h2: { endpoint: "unix:///run/stack-sandbox/h2/docker.sock", labels: {} }
  consul: "http://10.77.0.2:8500"
`;
const certs = { 'certs/ca.pem': 'ca', 'certs/cert.pem': 'cert', 'certs/key.pem': 'key' };
const withXStack = 'services:\n  web: { image: busybox }\nx-stack:\n  hosts:\n    x1: { endpoint: "unix:///tmp/x1.sock" }\n  consul: "http://consul:8500"\n  overlay: consul\n  concurrency: { host: 2, global: 5 }\n';

test('the inventory (sandbox shape) wins over x-stack.hosts; TLS paths resolve against its folder', async (t) => {
  const r = await load({ 'compose.yaml': withXStack, 'env/inventory.yaml': sandboxInventory, ...Object.fromEntries(Object.entries(certs).map(([k, v]) => [`env/${k}`, v])) }, { inventory: 'env/inventory.yaml' });
  t.deepEqual(errors(r), []);
  const v = r.value!;
  t.is(v.hostsSource, 'inventory');
  t.deepEqual(v.hosts.map((h) => h.name), ['h1', 'h2']);
  t.deepEqual(v.hosts[0], {
    name: 'h1',
    endpoint: 'tcp://10.77.0.11:2376',
    tls: { ca: path.join(r.dir, 'env/certs/ca.pem'), cert: path.join(r.dir, 'env/certs/cert.pem'), key: path.join(r.dir, 'env/certs/key.pem') },
    labels: { role: 'web' },
  });
  t.is(v.settings.consul, 'http://10.77.0.2:8500');
  t.deepEqual(v.settings, { hostConcurrency: 2, globalConcurrency: 5, overlay: 'consul', consul: 'http://10.77.0.2:8500' });
});

test('x-stack.hosts wins over DOCKER_HOST', async (t) => {
  const r = await load({ 'compose.yaml': withXStack }, { env: { DOCKER_HOST: 'tcp://10.0.0.9:2375' } });
  t.is(r.value?.hostsSource, 'x-stack.hosts');
  t.deepEqual(r.value?.hosts, [{ name: 'x1', endpoint: 'unix:///tmp/x1.sock', labels: {} }]);
  t.is(r.value?.settings.consul, 'http://consul:8500');
});

test('DOCKER_HOST with TLS gives one host named after the endpoint host', async (t) => {
  const r = await load({ 'compose.yaml': 'services:\n  web: { image: busybox }\n', ...certs }, {});
  t.is(r.value?.hostsSource, 'local-socket');
  t.deepEqual(r.value?.hosts, [{ name: 'local', endpoint: 'unix:///var/run/docker.sock', labels: {} }]);
  const dir = path.dirname(path.join(r.dir, 'certs/ca.pem'));
  const tls = await load({ 'compose.yaml': 'services:\n  web: { image: busybox }\n', ...certs }, { env: { DOCKER_HOST: 'tcp://10.0.0.9:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: 'CERTS' } });
  t.truthy(find(tls, 'CERTS/ca.pem does not exist'));
  const ok = await load({ 'compose.yaml': 'services:\n  web: { image: busybox }\n' }, { env: { DOCKER_HOST: 'tcp://10.0.0.9:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir } });
  t.deepEqual(ok.value?.hosts, [{ name: '10.0.0.9', endpoint: 'tcp://10.0.0.9:2376', labels: {}, tls: { ca: `${dir}/ca.pem`, cert: `${dir}/cert.pem`, key: `${dir}/key.pem` } }]);
  t.is(ok.value?.hostsSource, 'DOCKER_HOST');
  const unix = await load({ 'compose.yaml': 'services:\n  web: { image: busybox }\n' }, { env: { DOCKER_HOST: 'unix:///run/docker.sock' } });
  t.deepEqual(unix.value?.hosts, [{ name: 'default', endpoint: 'unix:///run/docker.sock', labels: {} }]);
  const ssh = await load({ 'compose.yaml': 'services:\n  web: { image: busybox }\n' }, { env: { DOCKER_HOST: 'ssh://me@box' } });
  t.truthy(find(ssh, 'only unix:// and tcp://'));
});

test('inventory problems are located in the inventory file', async (t) => {
  const r = await load(
    { 'compose.yaml': 'services:\n  web: { image: busybox }\n', 'inv.yaml': 'hosts:\n  h1: { endpoint: "http://x" }\n  h2: { endpoint: "tcp://y:2376", tls: { ca: nope.pem, cert: nope.pem, key: nope.pem } }\nconsol: x\n' },
    { inventory: 'inv.yaml' },
  );
  t.is(where(find(r, 'must be unix:///path')), 'inv.yaml:2:19 hosts.h1.endpoint');
  t.is(where(find(r, 'unknown key consol')), 'inv.yaml:4:1 consol');
  const missing = await load({ 'compose.yaml': 'services:\n  web: { image: busybox }\n' }, { inventory: 'none.yaml' });
  t.truthy(find(missing, 'inventory file none.yaml does not exist'));
  const tls = await load(
    { 'compose.yaml': 'services:\n  web: { image: busybox }\n', 'inv.yaml': 'hosts:\n  h2: { endpoint: "tcp://y:2376", tls: { ca: nope.pem, cert: nope.pem, key: nope.pem } }\n' },
    { inventory: 'inv.yaml' },
  );
  t.is(where(find(tls, 'TLS ca file')), 'inv.yaml:2:46 hosts.h2.tls.ca');
});

test('stack name: -p > STACK_NAME > name: > folder', async (t) => {
  const files = { 'My App/compose.yaml': 'name: from-file\nservices:\n  web: { image: busybox }\n' };
  const opts = { files: ['My App/compose.yaml'] };
  t.is((await load(files, { ...opts, projectName: 'flag' })).value?.name, 'flag');
  t.is((await load(files, { ...opts, env: { STACK_NAME: 'env' } })).value?.name, 'env');
  t.is((await load(files, opts)).value?.name, 'from-file');
  const folder = await load({ 'My App/compose.yaml': 'services:\n  web: { image: busybox }\n' }, opts);
  t.is(folder.value?.name, 'myapp');
  t.is(folder.value?.networks.default.name, 'myapp_default');
  const bad = await load(files, { ...opts, projectName: 'Bad Name' });
  t.truthy(find(bad, 'invalid stack name "Bad Name" (from -p)'));
  const badFile = await load({ 'compose.yaml': 'name: Bad\nservices:\n  web: { image: busybox }\n' });
  t.is(where(find(badFile, 'must be lowercase')), 'compose.yaml:1:7 name');
});

test('with no host configured and no local Docker socket, the sandbox inventory is the default', async (t) => {
  const files = { 'compose.yaml': 'services:\n  web: { image: busybox }\n', 'sbx/inventory.yaml': sandboxInventory, ...Object.fromEntries(Object.entries(certs).map(([k, v]) => [`sbx/${k}`, v])) };
  const probe = await load(files, {});
  const sandbox = path.join(probe.dir, 'sbx/inventory.yaml');
  const none = await load(files, { sandboxInventory: sandbox, localSocketPath: path.join(probe.dir, 'no-such.sock') });
  t.deepEqual(errors(none), []);
  t.is(none.value?.hostsSource, 'sandbox');
  t.deepEqual(none.value?.hosts.map((h) => h.name), ['h1', 'h2']);
  t.is(none.value?.settings.consul, 'http://10.77.0.2:8500');
  // A local socket wins over the sandbox, and so does DOCKER_HOST.
  const local = await load(files, { sandboxInventory: sandbox, localSocketPath: path.join(probe.dir, 'compose.yaml') });
  t.is(local.value?.hostsSource, 'local-socket');
  const env = await load(files, { sandboxInventory: sandbox, localSocketPath: '/nonexistent.sock', env: { DOCKER_HOST: 'tcp://10.0.0.9:2375' } });
  t.is(env.value?.hostsSource, 'DOCKER_HOST');
});

test('relative TLS paths in x-stack.hosts resolve against the first file\'s folder, even when a later file in another folder sets them', async (t) => {
  const hostsYaml = 'x-stack:\n  hosts:\n    h1: { endpoint: "tcp://10.0.0.1:2376", tls: { ca: certs/ca.pem, cert: certs/cert.pem, key: certs/key.pem } }\n';
  const files = {
    'app/compose.yaml': `services:\n  web: { image: busybox }\n${hostsYaml}`,
    ...Object.fromEntries(Object.entries(certs).map(([k, v]) => [`app/${k}`, v])),
  };
  const r = await load(files, { files: ['app/compose.yaml'] });
  t.deepEqual(errors(r), []);
  t.is(r.value?.hostsSource, 'x-stack.hosts');
  t.deepEqual(r.value?.hosts[0].tls, { ca: path.join(r.dir, 'app/certs/ca.pem'), cert: path.join(r.dir, 'app/certs/cert.pem'), key: path.join(r.dir, 'app/certs/key.pem') });
  // Set by an override in another folder: still the first file's folder, where the certificates are not.
  const split = await load(
    { 'app/compose.yaml': 'services:\n  web: { image: busybox }\n', 'env/prod.yaml': hostsYaml, ...Object.fromEntries(Object.entries(certs).map(([k, v]) => [`env/${k}`, v])) },
    { files: ['app/compose.yaml', 'env/prod.yaml'] },
  );
  const missing = find(split, 'TLS ca file');
  t.is(missing.summary, `TLS ca file ${path.join(split.dir, 'app/certs/ca.pem')} does not exist`);
  t.is(where(missing), 'env/prod.yaml:3:55 x-stack.hosts.h1.tls.ca');
});

test('STACK_INVENTORY names the inventory when -i is not given; -i wins; an empty one is unset', (t) => {
  const cwd = '/work';
  t.is(stackOptionsFrom({}, cwd, { STACK_INVENTORY: 'env/inv.yaml' }).inventory, 'env/inv.yaml');
  t.is(stackOptionsFrom({ inventory: 'other.yaml' }, cwd, { STACK_INVENTORY: 'env/inv.yaml' }).inventory, 'other.yaml');
  t.is(stackOptionsFrom({}, cwd, { STACK_INVENTORY: '' }).inventory, undefined);
  t.is(stackOptionsFrom({}, cwd, {}).inventory, undefined);
});

test('STACK_INVENTORY loads like -i: its hosts win over x-stack.hosts', async (t) => {
  const files = { 'compose.yaml': withXStack, 'env/inventory.yaml': sandboxInventory, ...Object.fromEntries(Object.entries(certs).map(([k, v]) => [`env/${k}`, v])) };
  const dir = writeTree(files);
  const r = await loadStack({ ...stackOptionsFrom({}, dir, { STACK_INVENTORY: 'env/inventory.yaml' }), schema });
  t.deepEqual(errors(r), []);
  t.is(r.value?.hostsSource, 'inventory');
  t.deepEqual(r.value?.hosts.map((h) => h.name), ['h1', 'h2']);
});

test('x-stack.overlay defaults to auto; engine and consul are taken as written', async (t) => {
  const none = await load({ 'compose.yaml': 'services:\n  web: { image: busybox }\nx-stack:\n  hosts:\n    x1: { endpoint: "unix:///tmp/x1.sock" }\n' });
  t.deepEqual(errors(none), []);
  t.is(none.value!.settings.overlay, 'auto');
  const withoutXStack = await load({ 'compose.yaml': 'services:\n  web: { image: busybox }\n' }, { env: { DOCKER_HOST: 'unix:///tmp/d.sock' } });
  t.is(withoutXStack.value!.settings.overlay, 'auto');
  for (const value of ['engine', 'consul'] as const) {
    const r = await load({ 'compose.yaml': `services:\n  web: { image: busybox }\nx-stack:\n  hosts:\n    x1: { endpoint: "unix:///tmp/x1.sock" }\n  overlay: ${value}\n` });
    t.is(r.value!.settings.overlay, value);
  }
});
