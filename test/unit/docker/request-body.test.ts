/**
 * No create body reaches a request URL. docker-modem sends a POST's options as the body and, for paths ending in
 * `?` (dockerode's container, volume and network create), also as the query string. A local server on a unix
 * socket records what the client really sends: the trap with dockerode's own client, none with stack's.
 */
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import Docker from 'dockerode';
import { dockerFor, HostClient } from '../../../src/docker/client.js';
import { queryParamsOf, splitBody } from '../../../src/docker/request-body.js';

const MARKER = 'sEcReT-marker-5f2b';

interface Seen {
  method: string;
  url: string;
  body: string;
}

/** A fake Engine on a unix socket: records each request, answers a create with an id. */
async function engine(t: { teardown: (fn: () => void) => void }): Promise<{ socket: string; seen: Seen[] }> {
  const socket = join(mkdtempSync(join(tmpdir(), 'stack-body-')), 'docker.sock');
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ Id: 'abc', Name: 'v' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  t.teardown(() => server.close());
  return { socket, seen };
}

const containerBody = {
  Image: 'busybox',
  Env: [`DB_PASSWORD=${MARKER}`],
  Labels: { 'io.github.stack-deploy.config': `{"environment":{"DB_PASSWORD":"${MARKER}"}}` },
  HostConfig: { Mounts: [] },
};
const volumeBody = {
  Name: 'app_share',
  Driver: 'local',
  DriverOpts: { type: 'cifs', device: '//nas/share', o: `username=app,password=${MARKER}` },
  Labels: { 'io.github.stack-deploy.stack': MARKER },
};
const networkBody = { Name: 'app_back', Driver: 'bridge', Labels: { note: MARKER }, Options: { x: MARKER } };

test("the trap: dockerode's own client puts a container's Env into the request URL", async (t) => {
  const { socket, seen } = await engine(t);
  await new Docker({ socketPath: socket }).createContainer({ ...containerBody, name: 'web' });
  t.true(seen[0].url.includes(MARKER), seen[0].url);
});

test("stack's client: container, volume and network creates carry their values in the body only", async (t) => {
  const { socket, seen } = await engine(t);
  const client = new HostClient('h', dockerFor({ kind: 'unix', path: socket }));
  await client.createContainer('app-web-1', containerBody);
  await client.createVolume(volumeBody);
  await client.createNetwork(networkBody);
  t.deepEqual(
    seen.map((s) => `${s.method} ${s.url}`),
    ['POST /containers/create?name=app-web-1', 'POST /volumes/create?', 'POST /networks/create?'],
  );
  for (const s of seen) {
    t.false(s.url.includes(MARKER), s.url);
    t.true(s.body.includes(MARKER), `${s.url}: the value is in the body`);
    t.false('abortSignal' in JSON.parse(s.body), 'no abort signal in the body');
  }
  t.deepEqual(JSON.parse(seen[0].body), containerBody, 'the body is the create body, without the name');
  t.deepEqual(JSON.parse(seen[1].body), volumeBody);
});

test('the split: only the Engine API query parameters of a body path go to the query; other requests unchanged', (t) => {
  t.deepEqual(queryParamsOf('/containers/create?'), ['name', 'platform']);
  t.deepEqual(queryParamsOf('/volumes/create?'), []);
  t.is(queryParamsOf('/containers/web/start?'), undefined);
  const signal = new AbortController().signal;
  t.deepEqual(
    splitBody({
      method: 'POST',
      path: '/containers/create?',
      options: { name: 'web', platform: 'linux/amd64', Env: ['A=1'], abortSignal: signal },
    }),
    {
      method: 'POST',
      path: '/containers/create?',
      options: { _query: { name: 'web', platform: 'linux/amd64' }, _body: { Env: ['A=1'] } },
    },
  );
  const start = { method: 'POST', path: '/containers/web/start?', options: { abortSignal: signal } };
  t.is(splitBody(start), start);
  const split = { method: 'POST', path: '/volumes/create?', options: { _body: { Name: 'v' } } };
  t.is(splitBody(split), split, 'options already split are left alone');
});
