/** loadHosts: the operator's hosts without a stack file (`stack hosts check` without -f). */
import test from 'ava';
import { loadHosts } from '../../../src/stack/index.js';
import { schema, writeTree } from './helpers.js';

const inventory = `hosts:
  h1: { endpoint: "unix:///run/h1.sock", labels: { zone: a } }
  h2: { endpoint: "tcp://10.0.0.12:2375", tls: false }
overlay: { helper_image: "reg:5000/busybox@sha256:${'b'.repeat(64)}" }
`;

test('the inventory gives the hosts and the helper image; no stack file is read (there is none)', (t) => {
  const dir = writeTree({ 'inventory.yaml': inventory });
  const r = loadHosts({ cwd: dir, env: {}, schema, inventory: 'inventory.yaml' });
  t.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  t.is(r.value?.hostsSource, 'inventory');
  t.deepEqual(
    r.value?.hosts.map((h) => [h.name, h.labels]),
    [
      ['h1', { zone: 'a' }],
      ['h2', {}],
    ],
  );
  t.is(r.value?.overlayHelperImage, `reg:5000/busybox@sha256:${'b'.repeat(64)}`);
  // --overlay-helper-image wins over the inventory's.
  const flag = `other/busybox@sha256:${'c'.repeat(64)}`;
  t.is(
    loadHosts({ cwd: dir, env: {}, schema, inventory: 'inventory.yaml', overlayHelperImage: flag }).value
      ?.overlayHelperImage,
    flag,
  );
});

test('without an inventory: DOCKER_HOST, else the local socket', (t) => {
  const dir = writeTree({});
  const env = loadHosts({ cwd: dir, env: { DOCKER_HOST: 'unix:///run/other.sock' }, schema });
  t.is(env.value?.hostsSource, 'DOCKER_HOST');
  t.deepEqual(env.value?.hosts[0].endpoint, { kind: 'unix', path: '/run/other.sock' });
  const local = loadHosts({ cwd: dir, env: {}, schema, localSocketPath: dir });
  t.is(local.value?.hostsSource, 'local-socket');
});

test('errors: a missing inventory, a bad endpoint, a helper image by tag — each named, no value', (t) => {
  const dir = writeTree({ 'bad.yaml': 'hosts:\n  h1: { endpoint: "ssh;://x" }\n' });
  const missing = loadHosts({ cwd: dir, env: {}, schema, inventory: 'nope.yaml' });
  t.is(missing.value, undefined);
  t.regex(missing.diagnostics[0].summary, /nope\.yaml/);
  const bad = loadHosts({ cwd: dir, env: {}, schema, inventory: 'bad.yaml' });
  t.is(bad.value, undefined);
  t.is(bad.diagnostics[0].where?.file, 'bad.yaml');
  const tag = loadHosts({ cwd: dir, env: {}, schema, inventory: 'bad.yaml', overlayHelperImage: 'busybox:latest' });
  t.true(tag.diagnostics.some((d) => /--overlay-helper-image: .*pinned by digest/.test(d.summary)));
});
