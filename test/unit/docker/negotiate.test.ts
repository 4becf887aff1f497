/**
 * HostClient.negotiate against a local HTTP server on a unix socket that answers GET /_ping as a daemon would (the
 * API version in its Api-Version header, the Engine release in Server): the version spoken from then on is in every
 * path; an old daemon and an answer without a version are errors naming the host (observe then refuses to plan it).
 */
import test from 'ava';
import { daemonStandIn } from '../../helpers/daemon-stand-in.js';

/** A client on a socket whose server answers /_ping with the headers `ping`; the paths it saw. */
const daemon = (t: { teardown: (fn: () => void) => void }, ping: Record<string, string>) =>
  daemonStandIn(t, (path) => (path === '/_ping' ? ping : []));

const engine28 = { 'Api-Version': '1.51', Server: 'Docker/28.5.2 (linux)' };

test('Engine 28: spoken to at 1.51 from then on', async (t) => {
  const { client, seen } = await daemon(t, engine28);
  t.deepEqual(await client.negotiate(), {
    engine: '28.5.2',
    serverApi: { major: 1, minor: 51 },
    api: { major: 1, minor: 51 },
  });
  await client.listNetworks({});
  t.deepEqual(seen, ['GET /_ping', 'GET /v1.51/networks?filters=%7B%7D']);
  t.is(client.counts.reads, 2);
});

test('a daemon newer than stack knows is spoken to at 1.51', async (t) => {
  const { client, seen } = await daemon(t, { 'Api-Version': '1.52', Server: 'Docker/29.1.0 (linux)' });
  t.like(await client.negotiate(), { api: { major: 1, minor: 51 } });
  await client.listVolumes({});
  t.regex(seen[1], /^GET \/v1\.51\/volumes/);
});

test('a daemon older than API 1.41 is an error naming the host, and what to do', async (t) => {
  const { client } = await daemon(t, { 'Api-Version': '1.40', Server: 'Docker/19.03.15 (linux)' });
  await t.throwsAsync(client.negotiate(), {
    message:
      'host h9: version: its Engine API 1.40 is older than API 1.41 (Engine 20.10), the oldest stack speaks: upgrade its Engine',
  });
});

test('an answer without an API version is an error naming the host', async (t) => {
  for (const answer of <Record<string, string>[]>[
    { Server: 'Docker/28.5.2 (linux)' },
    { 'Api-Version': '1.51; rm -rf', Server: 'Docker/28.5.2 (linux)' },
    { 'Api-Version': 'x', Server: 'Docker/28.5.2 (linux)' },
  ]) {
    const { client } = await daemon(t, answer);
    await t.throwsAsync(client.negotiate(), { message: 'host h9: version: the answer carries no Engine API version' });
  }
});

test('asked once per client: calls while it is on its way and after it succeeded get the same answer', async (t) => {
  const { client, seen } = await daemon(t, engine28);
  const [first, second] = await Promise.all([client.negotiate(), client.negotiate()]);
  t.deepEqual(second, first);
  t.like(await client.negotiate(), { api: { major: 1, minor: 51 } });
  t.deepEqual(seen, ['GET /_ping']);
  t.is(client.counts.reads, 1);
});

test('after a failed negotiation the next call asks again', async (t) => {
  const { client, seen } = await daemon(t, { 'Api-Version': '1.40', Server: 'Docker/19.03.15 (linux)' });
  await t.throwsAsync(client.negotiate());
  await t.throwsAsync(client.negotiate());
  t.deepEqual(seen, ['GET /_ping', 'GET /_ping']);
});

test('the Engine release is read from the Server header, and is unknown when the header is not of that shape', async (t) => {
  const debian = await daemon(t, { 'Api-Version': '1.41', Server: 'Docker/20.10.24+dfsg1 (linux)' });
  t.like(await debian.client.negotiate(), { engine: '20.10.24+dfsg1', api: { major: 1, minor: 41 } });
  for (const server of [undefined, '$(reboot)', 'Docker/ (linux)']) {
    const { client } = await daemon(t, { 'Api-Version': '1.41', ...(server ? { Server: server } : {}) });
    t.like(await client.negotiate(), { engine: 'unknown' }, String(server));
  }
});
