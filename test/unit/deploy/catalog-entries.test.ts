/** Catalog entries from container lists: the host as node, one instance per running replica, health snapshot. */
import test from 'ava';
import { catalogEntries, hostAddress } from '../../../src/deploy/catalog-entries.js';
import { Labels } from '../../../src/labels.js';
import { desired, service } from '../plan/helpers.js';
import { endpointOf } from '../../helpers/endpoint.js';

const h1 = { name: 'h1', endpoint: endpointOf('tcp://10.0.0.11:2376'), labels: {} };
const labels = (svc: string, slot: string, extra: Record<string, string> = {}) => ({
  [Labels.managed]: 'true',
  [Labels.stack]: 's',
  [Labels.service]: svc,
  [Labels.slot]: slot,
  ...extra,
});

test("host address: the tcp endpoint's host, else the fallback (unix sockets)", (t) => {
  t.is(hostAddress(h1, '192.0.2.1'), '10.0.0.11');
  t.is(hostAddress({ name: 'x', endpoint: endpointOf('tcp://box.example:2376'), labels: {} }, 'f'), 'box.example');
  t.is(hostAddress({ name: 'x', endpoint: endpointOf('tcp://[fd00::1]:2376'), labels: {} }, 'f'), 'fd00::1');
  t.is(
    hostAddress({ name: 'x', endpoint: endpointOf('unix:///var/run/docker.sock'), labels: {} }, '192.0.2.1'),
    '192.0.2.1',
  );
});

test('a replica on a stack network: its IP there, the first exposed port, tags from labels, meta, health', (t) => {
  const d = desired([service('api', { labels: { team: 'a', tier: 'back' }, expose: ['9000', '8080'] })], {
    name: 's',
  });
  const entries = catalogEntries(
    d,
    h1,
    '10.0.0.11',
    [
      {
        Id: 'c1',
        Names: ['/s-api-1'],
        Labels: labels('api', '1'),
        State: 'running',
        Status: 'Up 3 seconds (healthy)',
        NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.2' }, s_default: { IPAddress: '172.20.0.5' } } },
      },
      {
        Id: 'c2',
        Names: ['/s-api-2'],
        Labels: labels('api', '2'),
        State: 'running',
        Status: 'Up 1 second (health: starting)',
        NetworkSettings: { Networks: { s_default: { IPAddress: '172.20.0.6' } } },
      },
      {
        Id: 'c3',
        Names: ['/s-api-3'],
        Labels: labels('api', '3'),
        State: 'exited',
        Status: 'Exited (1) 2 seconds ago',
      },
      {
        Id: 'c4',
        Names: ['/s-api-1_next'],
        Labels: labels('api', '1', { [Labels.replaceRole]: 'temporary' }),
        State: 'running',
        Status: 'Up 1 second',
      },
    ],
    7,
  );
  t.deepEqual(entries, [
    {
      node: 'stack-h1',
      nodeAddress: '10.0.0.11',
      service: {
        id: 's-api-1',
        name: 's-api',
        address: '172.20.0.5',
        port: 8080,
        tags: ['team=a', 'tier=back'],
        meta: {
          entry: 'replica',
          stack: 's',
          service: 'api',
          container_id: 'c1',
          host: 'h1',
          slot: '1',
          revision: '7',
        },
      },
      check: { status: 'passing', notes: 'docker: Up 3 seconds (healthy)' },
    },
    {
      node: 'stack-h1',
      nodeAddress: '10.0.0.11',
      service: {
        id: 's-api-2',
        name: 's-api',
        address: '172.20.0.6',
        port: 8080,
        tags: ['team=a', 'tier=back'],
        meta: {
          entry: 'replica',
          stack: 's',
          service: 'api',
          container_id: 'c2',
          host: 'h1',
          slot: '2',
          revision: '7',
        },
      },
      check: { status: 'critical', notes: 'docker: Up 1 second (health: starting)' },
    },
  ]);
});

test("a replica with a published port: the host's address and the published port", (t) => {
  const d = desired([service('web')], { name: 's' });
  const [e] = catalogEntries(
    d,
    h1,
    '10.0.0.11',
    [
      {
        Id: 'c1',
        Names: ['/s-web-1'],
        Labels: labels('web', '1'),
        State: 'running',
        Status: 'Up 2 minutes',
        Ports: [{ PrivatePort: 80, PublicPort: 8081, Type: 'tcp' }],
        NetworkSettings: { Networks: { s_default: { IPAddress: '172.20.0.5' } } },
      },
    ],
    undefined,
  );
  t.is(e.service.address, '10.0.0.11');
  t.is(e.service.port, 8081);
  t.false('revision' in e.service.meta);
  t.is(e.check.status, 'passing');
});
