/**
 * A host's reads started early (the apply's look, beside its Consul reads) and taken by observe: against a local
 * HTTP server on a unix socket that answers as a daemon would, each read is sent once; reads started without /info
 * are not taken by a run that needs it; without an early start, observe reads as before.
 */
import test from 'ava';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostClient } from '../../../src/docker/client.js';
import { DEFAULT_FAULT_SETTINGS } from '../../../src/docker/faults.js';
import { startHostReads, takeHostReads } from '../../../src/observe/host-reads.js';

async function daemon(t: { teardown: (fn: () => void) => void }) {
  const socket = join(mkdtempSync(join(tmpdir(), 'stack-host-reads-')), 'd.sock');
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/v1\.\d+/, '').split('?')[0];
    seen.push(path);
    const body =
      path === '/version'
        ? { Version: '20.10.24', ApiVersion: '1.41', MinAPIVersion: '1.12' }
        : path === '/volumes'
          ? { Volumes: [] }
          : path === '/info'
            ? { ID: 'x' }
            : [];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  t.teardown(() => server.close());
  const faults = { ...DEFAULT_FAULT_SETTINGS, retries: 0 };
  const client = HostClient.fromSpec({ name: 'h1', endpoint: { kind: 'unix', path: socket }, labels: {} }, faults);
  return { client, seen };
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
