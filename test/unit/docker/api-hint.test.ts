/**
 * HostClient.hintApi and early (the API version the stack's last apply spoke to a host at, kept in its revision): the
 * lists go at that version beside the ping instead of after it, and are kept only when the ping says the same
 * version; a different version asks them again at the negotiated one; a hint that is not a version stack speaks is
 * ignored; a host whose ping fails throws the ping's error, not the early read's.
 */
import test from 'ava';
import { daemonStandIn } from '../../helpers/daemon-stand-in.js';
import { HostClient } from '../../../src/docker/client.js';
import { DEFAULT_FAULT_SETTINGS } from '../../../src/docker/faults.js';

/** A daemon whose ping answers `api` after `pingMs`; the requests it had seen when it answered the ping. */
async function daemon(t: { teardown: (fn: () => void) => void }, api: string, pingMs = 50) {
  const atPing: string[] = [];
  const stand = await daemonStandIn(t, (path) =>
    path === '/_ping'
      ? new Promise((resolve) =>
          setTimeout(() => {
            atPing.push(...stand.seen);
            resolve({ 'Api-Version': api, Server: 'Docker/28.5.2 (linux)' });
          }, pingMs),
        )
      : [{ Name: 'bridge', Id: 'n1', Driver: 'bridge', Labels: {} }],
  );
  return { ...stand, atPing };
}

test('with the version the daemon speaks as the hint, the lists go beside the ping and are kept', async (t) => {
  const d = await daemon(t, '1.51');
  d.client.hintApi('1.51');
  t.true(d.client.hinted);
  const [networks, volumes] = await Promise.all([
    d.client.early(() => d.client.listNetworks({})),
    d.client.early(() => d.client.listVolumes({})),
  ]);
  t.like(networks, [{ Name: 'bridge' }]);
  t.truthy(volumes);
  t.deepEqual(d.atPing.sort(), [
    'GET /_ping',
    'GET /v1.51/networks?filters=%7B%7D',
    'GET /v1.51/volumes?filters=%7B%7D',
  ]);
  t.is(d.client.counts.reads, 3, 'a ping and two lists, nothing asked twice');
  t.false(d.client.hinted, 'the version is known now');
  await d.client.early(() => d.client.listNetworks({}));
  t.is(d.seen.at(-1), 'GET /v1.51/networks?filters=%7B%7D');
});

test('a hint the ping contradicts (the daemon was upgraded): the lists are asked again at the negotiated version', async (t) => {
  const d = await daemon(t, '1.51');
  d.client.hintApi('1.41');
  const networks = await d.client.early(() => d.client.listNetworks({}));
  t.like(networks, [{ Name: 'bridge' }]);
  t.deepEqual(d.seen, ['GET /v1.41/networks?filters=%7B%7D', 'GET /_ping', 'GET /v1.51/networks?filters=%7B%7D']);
  t.is(d.client.counts.reads, 3);
});

test('without a hint, or with one stack does not speak, the lists wait for the ping', async (t) => {
  for (const hint of [undefined, '1.40', '1.60', '1.41; rm -rf /', 'x']) {
    const d = await daemon(t, '1.41', 20);
    d.client.hintApi(hint);
    t.false(d.client.hinted, String(hint));
    await d.client.early(() => d.client.listNetworks({}));
    t.deepEqual(d.seen, ['GET /_ping', 'GET /v1.41/networks?filters=%7B%7D'], String(hint));
  }
});

test('a hint given once the version is being asked changes nothing', async (t) => {
  const d = await daemon(t, '1.51', 20);
  const asked = d.client.negotiate();
  d.client.hintApi('1.41');
  t.false(d.client.hinted);
  await asked;
  await d.client.early(() => d.client.listNetworks({}));
  t.deepEqual(d.seen, ['GET /_ping', 'GET /v1.51/networks?filters=%7B%7D']);
});

test("a host that does not answer: the early read fails with the ping's error naming the host, and nothing is unhandled", async (t) => {
  const faults = { ...DEFAULT_FAULT_SETTINGS, retries: 0 };
  const client = HostClient.fromSpec(
    { name: 'h7', endpoint: { kind: 'unix', path: '/nonexistent/stack-test.sock' }, labels: {} },
    faults,
  );
  client.hintApi('1.41');
  await t.throwsAsync(
    client.early(() => client.listNetworks({})),
    { message: /^host h7: version/ },
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
});
