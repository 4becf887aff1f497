/** SERVICE[.N] arguments and the replica exec picks. */
import test from 'ava';
import { matches, parseTarget, pickReplica } from '../../../src/streams/replicas.js';
import type { ObservedContainer } from '../../../src/observe/types.js';

test('SERVICE and SERVICE.N; a service whose name has a dot wins over a split', (t) => {
  const services = ['web', 'db', 'api.v2'];
  t.deepEqual(parseTarget('web', services), { service: 'web' });
  t.deepEqual(parseTarget('web.2', services), { service: 'web', slot: '2' });
  t.deepEqual(parseTarget('api.v2', services), { service: 'api.v2' });
  t.deepEqual(parseTarget('api.v2.1', services), { service: 'api.v2', slot: '1' });
  t.is(parseTarget('nope', services), undefined);
  t.is(parseTarget('web.', services), undefined);
  t.true(matches({ service: 'web', slot: '3' }, []));
  t.false(matches({ service: 'web', slot: '3' }, [{ service: 'web', slot: '2' }]));
});

const replica = (slot: string, host: string, extra: Partial<ObservedContainer> = {}): ObservedContainer => ({
  id: `${slot}${host}`,
  name: `s-web-${slot}`,
  host,
  service: 'web',
  slot,
  state: 'running',
  networks: [],
  mounts: [],
  labels: {},
  ...extra,
});

test('exec picks the first healthy replica, else the first running without a healthcheck; never a stopped one', (t) => {
  t.is(
    pickReplica([
      replica('1', 'h1', { health: 'unhealthy' }),
      replica('3', 'h3', { health: 'healthy' }),
      replica('2', 'h2', { health: 'healthy' }),
    ])?.slot,
    '2',
  );
  t.is(pickReplica([replica('10', 'h1'), replica('9', 'h2')])?.slot, '9');
  t.is(pickReplica([replica('1', 'h1', { state: 'exited' })]), undefined);
  t.is(pickReplica([replica('1', 'h1', { health: 'unhealthy' })])?.slot, '1');
});
