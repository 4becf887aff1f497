/**
 * The run's image digests (src/observe/digests.ts): asked of the first host whose ping answers, not of the first in
 * the inventory; another host only when that one fails; no host whose ping failed; none for a pinned reference.
 */
import test from 'ava';
import { resolveDigests } from '../../../src/observe/digests.js';
import type { HostClient } from '../../../src/docker/client.js';
import { desired, DIGEST, IMAGE, service } from '../plan/helpers.js';

/**
 * A host whose ping answers after `pingMs` (or fails), and whose digest question answers `answer`; `hinted`: it has the
 * API version of the last apply, so an early read goes before its ping answers (HostClient.early).
 */
function host(
  name: string,
  pingMs: number | 'down',
  answer: string | Error,
  asked: string[],
  hinted = false,
): HostClient {
  const ping =
    pingMs === 'down'
      ? Promise.reject(new Error(`${name}: connection refused`))
      : new Promise((resolve) => setTimeout(resolve, pingMs));
  ping.catch(() => undefined);
  return {
    name,
    negotiate: () => ping,
    hinted,
    early: async <T>(read: () => Promise<T>) => {
      if (!hinted) await ping;
      const sent = read();
      await ping;
      return sent;
    },
    distribution: async (ref: string) => {
      asked.push(`${name} ${ref}`);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as HostClient;
}

const d = desired([service('web', { image: IMAGE, pullPolicy: 'missing' })]);

test('the digest is asked of the host whose ping answers first, and of no other', async (t) => {
  const asked: string[] = [];
  const found = await resolveDigests(d, [host('h1', 40, DIGEST, asked), host('h2', 1, DIGEST, asked)], undefined);
  t.deepEqual(found, { digests: { [IMAGE]: DIGEST }, digestErrors: {} });
  t.deepEqual(asked, [`h2 ${IMAGE}`]);
});

test('when the first host to answer cannot say, the others are asked in the inventory order', async (t) => {
  const asked: string[] = [];
  const clients = [
    host('h1', 30, DIGEST, asked),
    host('h2', 'down', DIGEST, asked),
    host('h3', 1, new Error('dial tcp: i/o timeout'), asked),
  ];
  const found = await resolveDigests(d, clients, undefined);
  t.deepEqual(found, { digests: { [IMAGE]: DIGEST }, digestErrors: {} });
  t.deepEqual(asked, [`h3 ${IMAGE}`, `h1 ${IMAGE}`], 'h2 (ping failed) is never asked');
});

test('with no host reachable no digest is asked, and the planner is left to name the hosts', async (t) => {
  const asked: string[] = [];
  const found = await resolveDigests(d, [host('h1', 'down', DIGEST, asked)], undefined);
  t.deepEqual(found, { digests: {}, digestErrors: {} });
  t.deepEqual(asked, []);
});

test('an image the registry does not have is an error after one host, and a pinned reference is not asked', async (t) => {
  const asked: string[] = [];
  const pinned = `${IMAGE.split(':')[0]}@${DIGEST}`;
  const two = desired([
    service('web', { image: IMAGE, pullPolicy: 'always' }),
    service('db', { image: pinned, pullPolicy: 'missing' }),
  ]);
  const clients = [host('h1', 1, new Error('manifest unknown'), asked), host('h2', 5, DIGEST, asked)];
  const found = await resolveDigests(two, clients, undefined);
  t.deepEqual(found.digestErrors, { [IMAGE]: 'manifest unknown' });
  t.is(found.digests[pinned], DIGEST);
  t.deepEqual(asked, [`h1 ${IMAGE}`]);
});

test('with the API version of the last apply, the digest is asked at once of the first such host, before any ping answers', async (t) => {
  const asked: string[] = [];
  const clients = [
    host('h1', 'down', DIGEST, asked),
    host('h2', 60, DIGEST, asked, true),
    host('h3', 1, DIGEST, asked),
  ];
  const found = resolveDigests(d, clients, undefined);
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.deepEqual(asked, [`h2 ${IMAGE}`], 'asked of h2 while its ping is on its way (h3 answered its ping first)');
  t.deepEqual(await found, { digests: { [IMAGE]: DIGEST }, digestErrors: {} });
  t.deepEqual(asked, [`h2 ${IMAGE}`]);
});
