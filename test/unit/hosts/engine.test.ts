/** A daemon's /version and /info are data from a host: only short printable text is kept, the data root only if absolute. */
import test from 'ava';
import { dataRootOf, engineLabels, parseEngineFacts } from '../../../src/hosts/engine.js';

const version = {
  Version: '20.10.24+dfsg1',
  ApiVersion: '1.41',
  MinAPIVersion: '1.12',
  Os: 'linux',
  Arch: 'amd64',
  KernelVersion: '6.1.0-18-amd64',
};
const info = {
  OperatingSystem: 'Debian GNU/Linux 12 (bookworm)',
  ClusterStore: 'etcd://10.77.0.2:2379',
  ClusterAdvertise: '10.77.0.11:2376',
  DockerRootDir: '/var/lib/docker',
  Labels: ['zone=a', 'tier=edge=1'],
};

test('the facts hosts check reports, from GET /version and GET /info', (t) => {
  t.deepEqual(parseEngineFacts(version, info), {
    version: '20.10.24+dfsg1',
    apiVersion: '1.41',
    minApiVersion: '1.12',
    os: 'Debian GNU/Linux 12 (bookworm)',
    platform: 'linux/amd64',
    kernel: '6.1.0-18-amd64',
    clusterStore: 'etcd://10.77.0.2:2379',
    clusterAdvertise: '10.77.0.11:2376',
    dataRoot: '/var/lib/docker',
    engineLabels: { zone: 'a', tier: 'edge=1' },
  });
});

test('an Engine without a cluster store (Engine ≥ 23 has no such field) gives empty strings', (t) => {
  const f = parseEngineFacts(version, { ...info, ClusterStore: undefined, ClusterAdvertise: null });
  t.is(f.clusterStore, '');
  t.is(f.clusterAdvertise, '');
});

test('hostile values: control characters, huge or non-text fields become "-"; bad labels and data roots are left out', (t) => {
  const f = parseEngineFacts(
    { ...version, Version: 'v1\u001b[2J', ApiVersion: 'x'.repeat(300), Os: 7 },
    {
      ...info,
      ClusterStore: 'etcd://a\nb',
      Labels: ['=x', 'nolabel', 'ok=1', 3, 'bad=\u0000'],
      DockerRootDir: 'var/lib',
    },
  );
  t.is(f.version, '-');
  t.is(f.apiVersion, '-');
  t.is(f.platform, '-/amd64');
  t.is(f.clusterStore, '');
  t.deepEqual(f.engineLabels, { ok: '1' });
  t.false('dataRoot' in f);
  t.deepEqual(engineLabels('zone=a'), {});
  for (const bad of ['relative', '/a/../etc', '/a\nb', '', 5, `/${'a'.repeat(5000)}`]) t.is(dataRootOf(bad), undefined);
  t.is(dataRootOf('/var/lib/stack-sandbox/h1/docker'), '/var/lib/stack-sandbox/h1/docker');
});
