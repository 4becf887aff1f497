/** The finer points of three rules: which bind sources expose a denied path, capability names, image repositories. */
import test from 'ava';
import { deniedPathOf, normaliseHostPath } from '../../../../src/stack/policy/host-paths.js';
import { imageRepository, registryAllows } from '../../../../src/stack/policy/registry.js';
import { capabilityName } from '../../../../src/stack/policy/rules.js';
import { BUILT_IN_DENIED_PATHS } from '../../../../src/stack/policy/types.js';
import { formatLocation } from '../../../../src/errors.js';
import { loadWithPolicy, stack, violations } from './helpers.js';

test('a bind exposes a denied path when it is the path, lies under it, or is a folder above it; / only itself', (t) => {
  const denied = [...BUILT_IN_DENIED_PATHS, '/srv/secrets'];
  const cases: [string, string | undefined][] = [
    ['/', '/'],
    ['/etc', '/etc'],
    ['/etc/ssl/certs', '/etc'],
    ['/etc/', '/etc'],
    ['//etc//passwd', '/etc'],
    ['/srv/app/../../etc', '/etc'],
    ['/var', '/var/run/docker.sock'],
    ['/var/run', '/var/run/docker.sock'],
    ['/run', '/run/docker.sock'],
    ['/var/lib', '/var/lib/docker'],
    ['/var/lib/docker/volumes', '/var/lib/docker'],
    ['/srv', '/srv/secrets'],
    ['/srv/secrets/db', '/srv/secrets'],
    ['/srv/app', undefined],
    ['/etcetera', undefined],
    ['/var/lib/app', undefined],
    ['/tmp/x', undefined],
    ['/home/app/data', undefined],
  ];
  for (const [source, expected] of cases) t.is(deniedPathOf(source, denied), expected, source);
  t.is(normaliseHostPath('/a/b/'), '/a/b');
  t.is(normaliseHostPath('/'), '/');
});

test('bind-denied-path: long syntax, a relative source resolved into a denied folder, and a local volume that binds', async (t) => {
  const long = await loadWithPolicy(
    stack('  web:\n    image: busybox\n    volumes:\n      - { type: bind, source: /etc, target: /host-etc }\n'),
    'mode: enforce\n',
  );
  const [d] = violations(long, 'bind-denied-path');
  t.is(formatLocation(d.where), 'compose.yaml:6:9 services.web.volumes[0]');
  t.is(d.summary, 'policy rule bind-denied-path: service web binds /etc');
  const parent = await loadWithPolicy(stack('  web:\n    image: busybox\n    volumes: ["/var:/host-var:ro"]\n'));
  t.is(
    violations(parent)[0].summary,
    'policy rule bind-denied-path: service web binds /var, which exposes /var/run/docker.sock',
  );
  const volume = await loadWithPolicy(
    stack(
      '  web:\n    image: busybox\n    volumes: ["root:/host"]\n',
      'volumes:\n  root:\n    driver: local\n    driver_opts: { type: none, o: bind, device: / }\n',
    ),
    'mode: enforce\n',
  );
  const [v] = violations(volume, 'bind-denied-path');
  t.is(v.summary, 'policy rule bind-denied-path: service web mounts volume root, which binds /');
  t.is(formatLocation(v.where), 'compose.yaml:9:49 volumes.root.driver_opts.device');
  const nfs = await loadWithPolicy(
    stack(
      '  web:\n    image: busybox\n    volumes: ["data:/data"]\n',
      'volumes:\n  data:\n    driver_opts: { type: nfs, o: "addr=10.0.0.1", device: ":/etc" }\n',
    ),
    'mode: enforce\n',
  );
  t.deepEqual(violations(nfs), []);
});

test('denied_paths adds to the built-in paths, never replaces them', async (t) => {
  const r = await loadWithPolicy(
    stack('  web:\n    image: busybox\n    volumes: ["/srv:/srv", "/etc:/e", "/opt/app:/app"]\n'),
    'mode: enforce\ndenied_paths: [/srv/secrets]\n',
  );
  t.deepEqual(
    violations(r).map((d) => d.summary),
    [
      'policy rule bind-denied-path: service web binds /srv, which exposes /srv/secrets',
      'policy rule bind-denied-path: service web binds /etc',
    ],
  );
});

test('cap-add: any capability outside Docker defaults, with or without CAP_, in any case', async (t) => {
  t.is(capabilityName('cap_net_admin'), 'NET_ADMIN');
  t.is(capabilityName('Sys_Admin'), 'SYS_ADMIN');
  const r = await loadWithPolicy(
    stack(
      '  web:\n    image: busybox\n    cap_add: [ALL, CAP_SYS_ADMIN, net_admin, cap_sys_ptrace, SYS_MODULE, cap_chown, KILL]\n',
    ),
  );
  t.deepEqual(
    violations(r).map((d) => d.summary.replace('policy rule cap-add: service web adds capability ', '')),
    ['ALL', 'CAP_SYS_ADMIN', 'net_admin', 'cap_sys_ptrace', 'SYS_MODULE'],
  );
});

test('registry: images are matched as fully qualified repositories; no registries: allows any', async (t) => {
  t.is(imageRepository('busybox'), 'docker.io/library/busybox');
  t.is(imageRepository('busybox:1.35'), 'docker.io/library/busybox');
  t.is(imageRepository('prom/node-exporter:v1'), 'docker.io/prom/node-exporter');
  t.is(imageRepository('index.docker.io/library/busybox'), 'docker.io/library/busybox');
  t.is(imageRepository(`10.77.0.2:5000/busybox@sha256:${'a'.repeat(64)}`), '10.77.0.2:5000/busybox');
  t.is(imageRepository('localhost/app:1'), 'localhost/app');
  t.is(imageRepository('registry.example.com:443/team/app:2'), 'registry.example.com:443/team/app');
  const patterns = ['10.77.0.2:5000/*', 'registry.example.com/team/*', 'docker.io/library/busybox'];
  t.true(registryAllows('10.77.0.2:5000/busybox:1.35', patterns));
  t.true(registryAllows('registry.example.com/team/a/b:1', patterns));
  t.true(registryAllows('busybox:1.35', patterns));
  t.false(registryAllows('registry.example.com/team-evil/app', patterns));
  t.false(registryAllows('registry.example.com.evil.io/team/app', patterns));
  t.false(registryAllows('10.77.0.2:50001/busybox', patterns));
  t.false(registryAllows('alpine', patterns));
  const any = await loadWithPolicy(stack('  web:\n    image: evil.example/x:1\n'), 'mode: enforce\n');
  t.deepEqual(violations(any), []);
  const none = await loadWithPolicy(stack('  web:\n    image: busybox\n'), 'mode: enforce\nregistries: []\n');
  t.regex(violations(none, 'registry')[0].summary, /from no allowed registry \(none\)/);
});
