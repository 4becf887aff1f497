import { chmodSync, symlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import test from 'ava';
import { stackOptionsFrom } from '../../../src/cli/stack-options.js';
import { loadStack, type LoadOptions } from '../../../src/stack/index.js';
import { errors, find, schema, warnings, where, writeTree, yaml } from './helpers.js';

/** Writes the files (private keys, `*key.pem`, mode 600 as stack requires) and loads them. */
async function load(files: Record<string, string>, options: Partial<LoadOptions> = {}) {
  const dir = writeTree(files);
  for (const name of Object.keys(files)) if (name.endsWith('key.pem')) chmodSync(path.join(dir, name), 0o600);
  return { ...(await loadStack({ cwd: dir, env: {}, schema, ...options })), dir };
}
const tcp = (host: string, port: number, tls: unknown) => ({ kind: 'tcp', host, port, tls });
const unix = (p: string) => ({ kind: 'unix', path: p });

const sandboxInventory = yaml`
  hosts:
    h1: { endpoint: "tcp://10.77.0.11:2376", tls: { ca: certs/ca.pem, cert: certs/cert.pem, key: certs/key.pem }, labels: { role: web } }
    h2: { endpoint: "unix:///run/stack-sandbox/h2/docker.sock", labels: {} }
  consul: "http://10.77.0.2:8500"
`;
const certs = { 'certs/ca.pem': 'ca', 'certs/cert.pem': 'cert', 'certs/key.pem': 'key' };
const withXStack =
  'services:\n  web: { image: busybox }\nx-stack:\n  hosts:\n    x1: { endpoint: "unix:///tmp/x1.sock" }\n  consul: "http://consul:8500"\n  overlay: consul\n  concurrency: { host: 2, global: 5 }\n';

test('the inventory (sandbox shape) wins over x-stack.hosts and x-stack.consul, which are ignored with a warning; TLS paths resolve against its folder', async (t) => {
  const r = await load(
    {
      'compose.yaml': withXStack,
      'env/inventory.yaml': sandboxInventory,
      ...Object.fromEntries(Object.entries(certs).map(([k, v]) => [`env/${k}`, v])),
    },
    { inventory: 'env/inventory.yaml' },
  );
  t.deepEqual(errors(r), []);
  const v = r.value!;
  t.is(v.hostsSource, 'inventory');
  t.deepEqual(
    v.hosts.map((h) => h.name),
    ['h1', 'h2'],
  );
  t.deepEqual(v.hosts[0], {
    name: 'h1',
    endpoint: tcp('10.77.0.11', 2376, {
      ca: path.join(r.dir, 'env/certs/ca.pem'),
      cert: path.join(r.dir, 'env/certs/cert.pem'),
      key: path.join(r.dir, 'env/certs/key.pem'),
    }),
    labels: { role: 'web' },
  });
  t.deepEqual(v.hosts[1].endpoint, unix('/run/stack-sandbox/h2/docker.sock'));
  t.deepEqual(v.settings, {
    hostConcurrency: 2,
    globalConcurrency: 5,
    overlay: 'consul',
    consul: 'http://10.77.0.2:8500',
    consulFrom: 'inventory',
  });
  t.is(where(find(r, 'x-stack.hosts is ignored: the hosts come from the inventory')), 'compose.yaml:4:3 x-stack.hosts');
  t.is(where(find(r, 'x-stack.consul is ignored')), 'compose.yaml:6:3 x-stack.consul');
});

test('an inventory without consul: gets none from x-stack.consul', async (t) => {
  const r = await load(
    { 'compose.yaml': withXStack, 'inv.yaml': 'hosts:\n  h1: { endpoint: "unix:///run/h1.sock" }\n' },
    { inventory: 'inv.yaml' },
  );
  t.deepEqual(errors(r), []);
  t.is(r.value?.settings.consul, undefined);
  t.truthy(find(r, 'x-stack.consul is ignored'));
});

test("DOCKER_HOST wins over x-stack.hosts (the operator's environment over the stack file), and x-stack.consul does not fill in", async (t) => {
  const r = await load({ 'compose.yaml': withXStack }, { env: { DOCKER_HOST: 'unix:///run/d.sock' } });
  t.deepEqual(errors(r), []);
  t.is(r.value?.hostsSource, 'DOCKER_HOST');
  t.deepEqual(r.value?.hosts, [{ name: 'default', endpoint: unix('/run/d.sock'), labels: {} }]);
  t.is(r.value?.settings.consul, undefined);
  t.truthy(find(r, 'x-stack.hosts is ignored: the hosts come from DOCKER_HOST'));
});

test('x-stack.hosts is used only when the operator named no hosts; x-stack.consul comes with it', async (t) => {
  const r = await load({ 'compose.yaml': withXStack });
  t.deepEqual(errors(r), []);
  t.is(r.value?.hostsSource, 'x-stack.hosts');
  t.deepEqual(r.value?.hosts, [{ name: 'x1', endpoint: unix('/tmp/x1.sock'), labels: {} }]);
  t.is(r.value?.settings.consul, 'http://consul:8500');
  t.is(r.value?.settings.consulFrom, 'x-stack.consul');
  t.deepEqual(warnings(r), []);
});

test('DOCKER_HOST follows the docker CLI: any non-empty DOCKER_TLS_VERIFY means TLS, files from DOCKER_CERT_PATH (default ~/.docker)', async (t) => {
  const r = await load({ 'compose.yaml': 'services:\n  web: { image: busybox }\n', ...certs }, {});
  t.is(r.value?.hostsSource, 'local-socket');
  t.deepEqual(r.value?.hosts, [{ name: 'local', endpoint: unix('/var/run/docker.sock'), labels: {} }]);
  const dir = path.join(r.dir, 'certs');
  const files = { ca: `${dir}/ca.pem`, cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
  const missing = await load(
    { 'compose.yaml': 'services:\n  web: { image: busybox }\n' },
    { env: { DOCKER_HOST: 'tcp://10.0.0.9:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent/certs' } },
  );
  t.is(
    find(missing, 'ca.pem does not exist').summary,
    'DOCKER_TLS_VERIFY is set: TLS ca file /nonexistent/certs/ca.pem does not exist',
  );
  for (const verify of ['1', '0', 'false', 'yes']) {
    const ok = await load(
      { 'compose.yaml': 'services:\n  web: { image: busybox }\n' },
      { env: { DOCKER_HOST: 'tcp://10.0.0.9:2376', DOCKER_TLS_VERIFY: verify, DOCKER_CERT_PATH: dir } },
    );
    t.deepEqual(errors(ok), [], verify);
    t.deepEqual(ok.value?.hosts, [{ name: '10.0.0.9', endpoint: tcp('10.0.0.9', 2376, files), labels: {} }], verify);
    t.is(ok.value?.hostsSource, 'DOCKER_HOST');
  }
  const home = await load(
    { 'compose.yaml': 'services:\n  web: { image: busybox }\n' },
    { env: { DOCKER_HOST: 'tcp://10.0.0.9:2376', DOCKER_TLS_VERIFY: '1', HOME: path.dirname(dir) } },
  );
  t.is(
    find(home, 'does not exist').summary,
    `DOCKER_TLS_VERIFY is set: TLS ca file ${path.join(path.dirname(dir), '.docker', 'ca.pem')} does not exist`,
  );
  const unixHost = await load(
    { 'compose.yaml': 'services:\n  web: { image: busybox }\n' },
    { env: { DOCKER_HOST: 'unix:///run/docker.sock', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent' } },
  );
  t.deepEqual(
    unixHost.value?.hosts,
    [{ name: 'default', endpoint: unix('/run/docker.sock'), labels: {} }],
    'TLS does not apply to a unix socket',
  );
  const ssh = await load(
    { 'compose.yaml': 'services:\n  web: { image: busybox }\n' },
    { env: { DOCKER_HOST: 'ssh://me@-box' } },
  );
  t.truthy(find(ssh, 'DOCKER_HOST="ssh://me@-box": ssh://me@-box: a host cannot start with -'));
  const bad = await load(
    { 'compose.yaml': 'services:\n  web: { image: busybox }\n' },
    { env: { DOCKER_HOST: 'tcp://10.0.0.9;id:2376' } },
  );
  t.truthy(find(bad, 'is not a host name'));
  t.is(bad.value, undefined);
});

test('a tcp:// DOCKER_HOST without TLS is refused unless --allow-insecure-tcp, then warned; DOCKER_TLS without DOCKER_TLS_VERIFY is refused', async (t) => {
  const files = { 'compose.yaml': 'services:\n  web: { image: busybox }\n' };
  const refused = await load(files, { env: { DOCKER_HOST: 'tcp://10.0.0.9:2375' } });
  t.is(find(refused, 'without TLS is refused').hint?.includes('--allow-insecure-tcp'), true);
  t.is(refused.value, undefined);
  const allowed = await load(files, { env: { DOCKER_HOST: 'tcp://10.0.0.9' }, allowInsecureTcp: true });
  t.deepEqual(errors(allowed), []);
  t.deepEqual(allowed.value?.hosts, [{ name: '10.0.0.9', endpoint: tcp('10.0.0.9', 2375, false), labels: {} }]);
  t.truthy(find(allowed, 'plain tcp without TLS (--allow-insecure-tcp)'));
  const unverified = await load(files, {
    env: { DOCKER_HOST: 'tcp://10.0.0.9:2376', DOCKER_TLS: '1' },
    allowInsecureTcp: true,
  });
  t.truthy(find(unverified, 'DOCKER_TLS is set without DOCKER_TLS_VERIFY'));
});

test('inventory problems are located in the inventory file', async (t) => {
  const r = await load(
    {
      'compose.yaml': 'services:\n  web: { image: busybox }\n',
      'inv.yaml':
        'hosts:\n  h1: { endpoint: "http://x" }\n  h2: { endpoint: "tcp://y:2376", tls: { ca: nope.pem, cert: nope.pem, key: nope.pem } }\nconsol: x\n',
    },
    { inventory: 'inv.yaml' },
  );
  t.is(where(find(r, 'must be unix:///path')), 'inv.yaml:2:19 hosts.h1.endpoint');
  t.is(where(find(r, 'unknown key consol')), 'inv.yaml:4:1 consol');
  const missing = await load({ 'compose.yaml': 'services:\n  web: { image: busybox }\n' }, { inventory: 'none.yaml' });
  t.truthy(find(missing, 'inventory file none.yaml does not exist'));
  const tls = await load(
    {
      'compose.yaml': 'services:\n  web: { image: busybox }\n',
      'inv.yaml': 'hosts:\n  h2: { endpoint: "tcp://y:2376", tls: { ca: nope.pem, cert: nope.pem, key: nope.pem } }\n',
    },
    { inventory: 'inv.yaml' },
  );
  t.is(where(find(tls, 'TLS ca file')), 'inv.yaml:2:46 hosts.h2.tls.ca');
  const parsed = await load(
    {
      'compose.yaml': 'services:\n  web: { image: busybox }\n',
      'inv.yaml':
        'hosts:\n  h1: { endpoint: "tcp://10.0.0.1:99999", tls: false }\n  h2: { endpoint: "tcp://a;b:2376", tls: false }\n',
    },
    { inventory: 'inv.yaml' },
  );
  t.is(where(find(parsed, 'host h1: port 99999 is not a number from 1 to 65535')), 'inv.yaml:2:19 hosts.h1.endpoint');
  t.is(where(find(parsed, 'host h2: a;b is not a host name')), 'inv.yaml:3:19 hosts.h2.endpoint');
});

test('an inventory host over tcp needs tls: { ca, cert, key }, or tls: false (warned); tls on a unix socket is an error', async (t) => {
  const compose = 'services:\n  web: { image: busybox }\n';
  const none = await load(
    { 'compose.yaml': compose, 'inv.yaml': 'hosts:\n  h1: { endpoint: "tcp://10.0.0.1:2375" }\n' },
    { inventory: 'inv.yaml' },
  );
  const refused = find(none, 'host h1: tcp://10.0.0.1:2375 without TLS is refused');
  t.is(where(refused), 'inv.yaml:2:19 hosts.h1.endpoint');
  t.regex(refused.hint ?? '', /tls: false/);
  t.is(none.value, undefined);
  const plain = await load(
    { 'compose.yaml': compose, 'inv.yaml': 'hosts:\n  h1: { endpoint: "tcp://10.0.0.1:2375", tls: false }\n' },
    { inventory: 'inv.yaml' },
  );
  t.deepEqual(errors(plain), []);
  t.deepEqual(plain.value?.hosts[0].endpoint, tcp('10.0.0.1', 2375, false));
  t.is(where(find(plain, 'host h1 is reached over plain tcp without TLS (tls: false)')), 'inv.yaml:2:47 hosts.h1.tls');
  const socket = await load(
    { 'compose.yaml': compose, 'inv.yaml': 'hosts:\n  h1: { endpoint: "unix:///run/h1.sock", tls: false }\n' },
    { inventory: 'inv.yaml' },
  );
  t.truthy(find(socket, 'tls applies to tcp:// endpoints only'));
  const wrong = await load(
    { 'compose.yaml': compose, 'inv.yaml': 'hosts:\n  h1: { endpoint: "tcp://10.0.0.1:2376", tls: true }\n' },
    { inventory: 'inv.yaml' },
  );
  t.is(where(find(wrong, 'must be { ca, cert, key }')), 'inv.yaml:2:47 hosts.h1.tls');
});

test('a TLS key readable by group or others is refused with the chmod to run; the same for DOCKER_CERT_PATH', async (t) => {
  const dir = writeTree({
    'compose.yaml': 'services:\n  web: { image: busybox }\n',
    'inv.yaml':
      'hosts:\n  h1: { endpoint: "tcp://10.0.0.1:2376", tls: { ca: c/ca.pem, cert: c/cert.pem, key: c/key.pem } }\n',
    'c/ca.pem': 'ca',
    'c/cert.pem': 'cert',
    'c/key.pem': 'key',
  });
  chmodSync(path.join(dir, 'c/key.pem'), 0o640);
  const r = await loadStack({ cwd: dir, env: {}, schema, inventory: 'inv.yaml' });
  const open = find(r, 'can be read or written by group or others (mode 640)');
  t.is(where(open), 'inv.yaml:2:86 hosts.h1.tls.key');
  t.is(open.hint, `chmod 600 ${path.join(dir, 'c/key.pem')}`);
  const env = await loadStack({
    cwd: dir,
    env: { DOCKER_HOST: 'tcp://10.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: path.join(dir, 'c') },
    schema,
  });
  t.is(find(env, 'can be read or written by group or others').hint, `chmod 600 ${path.join(dir, 'c/key.pem')}`);
  chmodSync(path.join(dir, 'c/key.pem'), 0o600);
  t.deepEqual(errors(await loadStack({ cwd: dir, env: {}, schema, inventory: 'inv.yaml' })), []);
});

test("TLS files in x-stack.hosts stay inside the project folder after symlinks and are regular files; an inventory's may be anywhere", async (t) => {
  const outside = writeTree({ 'ca.pem': 'ca', 'cert.pem': 'cert', 'key.pem': 'key' });
  chmodSync(path.join(outside, 'key.pem'), 0o600);
  const hostsYaml = (ca: string) =>
    `services:\n  web: { image: busybox }\nx-stack:\n  hosts:\n    h1: { endpoint: "tcp://10.0.0.1:2376", tls: { ca: ${ca}, cert: certs/cert.pem, key: certs/key.pem } }\n`;
  const dir = writeTree({
    'app/compose.yaml': hostsYaml(path.join(outside, 'ca.pem')),
    'app/certs/cert.pem': 'cert',
    'app/certs/key.pem': 'key',
  });
  chmodSync(path.join(dir, 'app/certs/key.pem'), 0o600);
  const abs = await loadStack({ cwd: dir, env: {}, schema, files: ['app/compose.yaml'] });
  const out = find(abs, 'is outside the project folder');
  t.is(where(out), 'app/compose.yaml:5:55 x-stack.hosts.h1.tls.ca');
  t.regex(out.hint ?? '', /inventory/);
  const viaLink = writeTree({
    'compose.yaml': hostsYaml('certs/link.pem'),
    'certs/cert.pem': 'cert',
    'certs/key.pem': 'key',
  });
  chmodSync(path.join(viaLink, 'certs/key.pem'), 0o600);
  symlinkSync(path.join(outside, 'ca.pem'), path.join(viaLink, 'certs/link.pem'));
  t.regex(
    find(await loadStack({ cwd: viaLink, env: {}, schema }), 'is outside the project folder').summary,
    /resolves to/,
  );
  const dotdot = writeTree({
    'app/compose.yaml': hostsYaml('../ca.pem'),
    'ca.pem': 'ca',
    'app/certs/cert.pem': 'cert',
    'app/certs/key.pem': 'key',
  });
  chmodSync(path.join(dotdot, 'app/certs/key.pem'), 0o600);
  t.truthy(
    find(
      await loadStack({ cwd: dotdot, env: {}, schema, files: ['app/compose.yaml'] }),
      'is outside the project folder',
    ),
  );
  const fifo = writeTree({
    'compose.yaml': hostsYaml('certs/fifo.pem'),
    'certs/cert.pem': 'cert',
    'certs/key.pem': 'key',
  });
  chmodSync(path.join(fifo, 'certs/key.pem'), 0o600);
  execFileSync('mkfifo', [path.join(fifo, 'certs/fifo.pem')]);
  t.truthy(find(await loadStack({ cwd: fifo, env: {}, schema }), 'certs/fifo.pem is not a regular file'));
  const dev = writeTree({
    'inv.yaml':
      'hosts:\n  h1: { endpoint: "tcp://10.0.0.1:2376", tls: { ca: /dev/zero, cert: /dev/zero, key: /dev/zero } }\n',
    'compose.yaml': 'services:\n  web: { image: busybox }\n',
  });
  t.truthy(
    find(
      await loadStack({ cwd: dev, env: {}, schema, inventory: 'inv.yaml' }),
      'TLS ca file /dev/zero is not a regular file',
    ),
  );
  const inv = writeTree({
    'inv.yaml': `hosts:\n  h1: { endpoint: "tcp://10.0.0.1:2376", tls: { ca: ${outside}/ca.pem, cert: ${outside}/cert.pem, key: ${outside}/key.pem } }\n`,
    'compose.yaml': 'services:\n  web: { image: busybox }\n',
  });
  t.deepEqual(errors(await loadStack({ cwd: inv, env: {}, schema, inventory: 'inv.yaml' })), []);
});

test('stack name: -p > COMPOSE_PROJECT_NAME > STACK_NAME > name: > folder', async (t) => {
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
  // name: is normalised as Compose does (lowercased), with a warning; one with no letter or digit is an error.
  const upper = await load({ 'compose.yaml': 'name: Bad\nservices:\n  web: { image: busybox }\n' });
  t.is(upper.value?.name, 'bad');
  t.is(where(find(upper, 'name: Bad is read as bad')), 'compose.yaml:1:7 name');
  const badFile = await load({ 'compose.yaml': 'name: "--"\nservices:\n  web: { image: busybox }\n' });
  t.is(where(find(badFile, 'holds no letter or digit')), 'compose.yaml:1:7 name');
});

test('with no host configured and no local Docker socket, the sandbox inventory is the default', async (t) => {
  const files = {
    'compose.yaml': 'services:\n  web: { image: busybox }\n',
    'sbx/inventory.yaml': sandboxInventory,
    ...Object.fromEntries(Object.entries(certs).map(([k, v]) => [`sbx/${k}`, v])),
  };
  const probe = await load(files, {});
  const sandbox = path.join(probe.dir, 'sbx/inventory.yaml');
  const none = await load(files, { sandboxInventory: sandbox, localSocketPath: path.join(probe.dir, 'no-such.sock') });
  t.deepEqual(errors(none), []);
  t.is(none.value?.hostsSource, 'sandbox');
  t.deepEqual(
    none.value?.hosts.map((h) => h.name),
    ['h1', 'h2'],
  );
  t.is(none.value?.settings.consul, 'http://10.77.0.2:8500');
  // A local socket wins over the sandbox, and so does DOCKER_HOST.
  const local = await load(files, { sandboxInventory: sandbox, localSocketPath: path.join(probe.dir, 'compose.yaml') });
  t.is(local.value?.hostsSource, 'local-socket');
  const env = await load(files, {
    sandboxInventory: sandbox,
    localSocketPath: '/nonexistent.sock',
    env: { DOCKER_HOST: 'unix:///run/d.sock' },
  });
  t.is(env.value?.hostsSource, 'DOCKER_HOST');
  // The sandbox's inventory is the operator's: x-stack.consul does not fill in for it.
  const xConsul = await load(
    { ...files, 'compose.yaml': 'services:\n  web: { image: busybox }\nx-stack:\n  consul: "http://elsewhere:8500"\n' },
    { sandboxInventory: sandbox, localSocketPath: path.join(probe.dir, 'no-such.sock') },
  );
  t.is(xConsul.value?.settings.consul, 'http://10.77.0.2:8500');
  t.truthy(find(xConsul, 'x-stack.consul is ignored'));
});

test("relative TLS paths in x-stack.hosts resolve against the first file's folder, even when a later file in another folder sets them", async (t) => {
  const hostsYaml =
    'x-stack:\n  hosts:\n    h1: { endpoint: "tcp://10.0.0.1:2376", tls: { ca: certs/ca.pem, cert: certs/cert.pem, key: certs/key.pem } }\n';
  const files = {
    'app/compose.yaml': `services:\n  web: { image: busybox }\n${hostsYaml}`,
    ...Object.fromEntries(Object.entries(certs).map(([k, v]) => [`app/${k}`, v])),
  };
  const r = await load(files, { files: ['app/compose.yaml'] });
  t.deepEqual(errors(r), []);
  t.is(r.value?.hostsSource, 'x-stack.hosts');
  t.deepEqual((r.value?.hosts[0].endpoint as { tls: unknown }).tls, {
    ca: path.join(r.dir, 'app/certs/ca.pem'),
    cert: path.join(r.dir, 'app/certs/cert.pem'),
    key: path.join(r.dir, 'app/certs/key.pem'),
  });
  // Set by an override in another folder: still the first file's folder, where the certificates are not.
  const split = await load(
    {
      'app/compose.yaml': 'services:\n  web: { image: busybox }\n',
      'env/prod.yaml': hostsYaml,
      ...Object.fromEntries(Object.entries(certs).map(([k, v]) => [`env/${k}`, v])),
    },
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
  const files = {
    'compose.yaml': withXStack,
    'env/inventory.yaml': sandboxInventory,
    ...Object.fromEntries(Object.entries(certs).map(([k, v]) => [`env/${k}`, v])),
  };
  const dir = writeTree(files);
  chmodSync(path.join(dir, 'env/certs/key.pem'), 0o600);
  const r = await loadStack({ ...stackOptionsFrom({}, dir, { STACK_INVENTORY: 'env/inventory.yaml' }), schema });
  t.deepEqual(errors(r), []);
  t.is(r.value?.hostsSource, 'inventory');
  t.deepEqual(
    r.value?.hosts.map((h) => h.name),
    ['h1', 'h2'],
  );
});

test('x-stack.overlay defaults to auto; engine and consul are taken as written', async (t) => {
  const none = await load({
    'compose.yaml':
      'services:\n  web: { image: busybox }\nx-stack:\n  hosts:\n    x1: { endpoint: "unix:///tmp/x1.sock" }\n',
  });
  t.deepEqual(errors(none), []);
  t.is(none.value!.settings.overlay, 'auto');
  const withoutXStack = await load(
    { 'compose.yaml': 'services:\n  web: { image: busybox }\n' },
    { env: { DOCKER_HOST: 'unix:///tmp/d.sock' } },
  );
  t.is(withoutXStack.value!.settings.overlay, 'auto');
  for (const value of ['engine', 'consul'] as const) {
    const r = await load({
      'compose.yaml': `services:\n  web: { image: busybox }\nx-stack:\n  hosts:\n    x1: { endpoint: "unix:///tmp/x1.sock" }\n  overlay: ${value}\n`,
    });
    t.is(r.value!.settings.overlay, value);
  }
});

test("the inventory's consul: one address, or the servers of one cluster as a list; anything else is refused where it is", async (t) => {
  const withConsul = (consul: string) =>
    load(
      {
        'compose.yaml': 'services:\n  web: { image: busybox }\n',
        'inventory.yaml': `hosts:\n  h1: { endpoint: "unix:///run/h1.sock" }\nconsul: ${consul}\n`,
      },
      { inventory: 'inventory.yaml' },
    );
  t.is((await withConsul('"http://a:8500"')).value?.settings.consul, 'http://a:8500');
  t.is((await withConsul('["http://a:8500", "http://b:8500"]')).value?.settings.consul, 'http://a:8500,http://b:8500');
  t.is((await withConsul('"http://a:8500,http://b:8500"')).value?.settings.consul, 'http://a:8500,http://b:8500');
  for (const bad of ['"a:8500"', '[]', '["http://a:8500", "b:8500"]', '"http://a:8500,b:8500"', '5']) {
    const r = await withConsul(bad);
    t.is(r.value, undefined, bad);
    t.true(
      errors(r).some((d) => /inventory\.yaml:3:\d+/.test(where(d)) && /list of them/.test(d.summary)),
      `${bad}: ${JSON.stringify(errors(r))}`,
    );
  }
});
