/**
 * HostClient.negotiate against a local HTTP server on a unix socket that answers GET /version as a daemon would:
 * the version spoken from then on is in every path; an old daemon and an answer without versions are errors naming
 * the host (observe then refuses to plan it).
 */
import test from 'ava';
import { daemonStandIn } from '../../helpers/daemon-stand-in.js';

/** A client on a socket whose server answers /version (any prefix) with `version`; the paths it saw. */
const daemon = (t: { teardown: (fn: () => void) => void }, version: object) =>
  daemonStandIn(t, (path) => (path === '/version' ? version : []));

test('Engine 28: spoken to at 1.51 from then on', async (t) => {
  const { client, seen } = await daemon(t, { Version: '28.5.2', ApiVersion: '1.51', MinAPIVersion: '1.24' });
  t.deepEqual(await client.negotiate(), {
    engine: '28.5.2',
    serverApi: { major: 1, minor: 51 },
    api: { major: 1, minor: 51 },
  });
  await client.listNetworks({});
  t.deepEqual(seen, ['GET /version', 'GET /v1.51/networks?filters=%7B%7D']);
  t.is(client.counts.reads, 2);
});

test('a daemon newer than stack knows is spoken to at 1.51', async (t) => {
  const { client, seen } = await daemon(t, { Version: '29.1.0', ApiVersion: '1.52', MinAPIVersion: '1.24' });
  t.like(await client.negotiate(), { api: { major: 1, minor: 51 } });
  await client.listVolumes({});
  t.regex(seen[1], /^GET \/v1\.51\/volumes/);
});

test('a daemon older than API 1.41 is an error naming the host, and what to do', async (t) => {
  const { client } = await daemon(t, { Version: '19.03.15', ApiVersion: '1.40', MinAPIVersion: '1.12' });
  await t.throwsAsync(client.negotiate(), {
    message:
      'host h9: version: its Engine API 1.40 is older than API 1.41 (Engine 20.10), the oldest stack speaks: upgrade its Engine',
  });
});

test('an answer without an API version is an error naming the host', async (t) => {
  for (const answer of [
    { Version: '28.5.2' },
    { Version: '28.5.2', ApiVersion: '1.51; rm -rf' },
    { ApiVersion: '1.51' },
  ]) {
    const { client } = await daemon(t, answer);
    await t.throwsAsync(client.negotiate(), { message: 'host h9: version: the answer carries no Engine API version' });
  }
});

test('asked once per client: calls while it is on its way and after it succeeded get the same answer', async (t) => {
  const { client, seen } = await daemon(t, { Version: '28.5.2', ApiVersion: '1.51', MinAPIVersion: '1.24' });
  const [first, second] = await Promise.all([client.negotiate(), client.negotiate()]);
  t.deepEqual(second, first);
  t.like(await client.negotiate(), { api: { major: 1, minor: 51 } });
  t.deepEqual(seen, ['GET /version']);
  t.is(client.counts.reads, 1);
});

test('after a failed negotiation the next call asks again', async (t) => {
  const { client, seen } = await daemon(t, { Version: '19.03.15', ApiVersion: '1.40', MinAPIVersion: '1.12' });
  await t.throwsAsync(client.negotiate());
  await t.throwsAsync(client.negotiate());
  t.deepEqual(seen, ['GET /version', 'GET /version']);
});
