import test from 'ava';
import { staleEndpoint } from '../../../src/docker/client.js';

test('a stale endpoint error names the container and the network to force-disconnect', (t) => {
  t.deepEqual(
    staleEndpoint(
      'host h2: start container app-web-1: endpoint with name app-web-1 already exists in network app_open (after 2 attempts)',
    ),
    { container: 'app-web-1', network: 'app_open' },
  );
  t.deepEqual(staleEndpoint('endpoint with name x already exists in network n'), { container: 'x', network: 'n' });
  t.is(staleEndpoint('Conflict. The container name "/x" is already in use'), undefined);
});
