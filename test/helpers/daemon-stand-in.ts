/**
 * A local HTTP server on a unix socket that answers as a daemon would (`answer(path)` for each request, the API
 * version prefix taken off, or a promise of it; for GET /_ping the answer is the headers), and a HostClient on it without retries; `seen` holds each request as METHOD URL,
 * `paths` its path as answered.
 */
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostClient } from '../../src/docker/client.js';
import { DEFAULT_FAULT_SETTINGS } from '../../src/docker/faults.js';

export async function daemonStandIn(
  t: { teardown: (fn: () => void) => void },
  answer: (path: string) => unknown,
): Promise<{ client: HostClient; seen: string[]; paths: string[] }> {
  const socket = join(mkdtempSync(join(tmpdir(), 'stack-daemon-')), 'd.sock');
  const seen: string[] = [];
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const path = (req.url ?? '').replace(/^\/v1\.\d+/, '').split('?')[0];
    paths.push(path);
    // A ping's answer is its headers (Api-Version, Server), as a daemon's is; every other answer is a JSON body. An
    // answer may be a promise: the daemon answers when it settles.
    void Promise.resolve(answer(path)).then((body) => {
      if (path === '/_ping') res.writeHead(200, body as http.OutgoingHttpHeaders).end('OK');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  t.teardown(() => server.close());
  const faults = { ...DEFAULT_FAULT_SETTINGS, retries: 0 };
  const client = HostClient.fromSpec({ name: 'h9', endpoint: { kind: 'unix', path: socket }, labels: {} }, faults);
  return { client, seen, paths };
}
