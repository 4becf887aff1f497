/**
 * A host's reads started early (the apply's look, beside its Consul reads) and taken by observe: against a local
 * HTTP server on a unix socket that answers as a daemon would, each read is sent once; reads started without /info
 * are not taken by a run that needs it; without an early start, observe reads as before.
 */
import test from 'ava';
import { daemonStandIn } from '../../helpers/daemon-stand-in.js';
import { startHostReads, takeHostReads } from '../../../src/observe/host-reads.js';

const answers: Record<string, unknown> = {
  '/version': { Version: '20.10.24', ApiVersion: '1.41', MinAPIVersion: '1.12' },
  '/volumes': { Volumes: [] },
  '/info': { ID: 'x' },
};

/** A daemon stand-in; `seen`: the paths it answered. */
async function daemon(t: { teardown: (fn: () => void) => void }) {
  const { client, paths } = await daemonStandIn(t, (path) => answers[path] ?? []);
  return { client, seen: paths };
}

const ONCE = ['/containers/json', '/images/json', '/info', '/networks', '/version', '/volumes'];

test('reads started early are sent once and taken by observe', async (t) => {
  const { client, seen } = await daemon(t);
  startHostReads(client, true);
  startHostReads(client, true);
  const reads = await takeHostReads(client, true);
  t.is(reads.version.engine, '20.10.24');
  t.deepEqual([...seen].sort(), ONCE);
  t.is(client.counts.reads, 6);
  // Taken once: a later observation of the same client reads again (the version stays known).
  await takeHostReads(client, true);
  t.is(seen.filter((p) => p === '/containers/json').length, 2);
  t.is(seen.filter((p) => p === '/version').length, 1);
});

test('reads started without /info are not taken by a run that needs it', async (t) => {
  const { client, seen } = await daemon(t);
  startHostReads(client, false);
  const reads = await takeHostReads(client, true);
  t.truthy(reads.info);
  t.is(seen.filter((p) => p === '/info').length, 1);
});

test('without an early start, observe reads as before', async (t) => {
  const { client, seen } = await daemon(t);
  const reads = await takeHostReads(client, false);
  t.is(reads.info, undefined);
  t.deepEqual([...seen].sort(), ['/containers/json', '/images/json', '/networks', '/version', '/volumes']);
});
