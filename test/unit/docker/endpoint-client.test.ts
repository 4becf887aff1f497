/**
 * The Engine client goes to the configured endpoint whatever the environment says: docker-modem's constructor
 * merges DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, DOCKER_PATH_PREFIX and DOCKER_CLIENT_TIMEOUT under the
 * options it is given, so dockerFor makes the modem without it. A local server on a unix socket (loopback only)
 * shows where the request really goes.
 */
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import Docker from 'dockerode';
import Modem from 'docker-modem';
import { dockerFor, dockerOptions, HostClient } from '../../../src/docker/client.js';
import { MAX_CHANNELS } from '../../../src/docker/ssh/connection.js';
import { UNIX_SOCKET_AGENT } from '../../../src/docker/quiet-agent.js';
import { sshAgent } from '../../../src/docker/ssh/pool.js';
import { inspect } from 'node:util';
import type { HostSpec } from '../../../src/stack/types.js';

const hostile = {
  DOCKER_HOST: 'tcp://127.0.0.1:1',
  DOCKER_TLS_VERIFY: '1',
  DOCKER_CERT_PATH: '/nonexistent/junk',
  DOCKER_PATH_PREFIX: '/elsewhere',
  DOCKER_CLIENT_TIMEOUT: '1',
};
const DOCKER_VARS = Object.keys(hostile);

/** Runs `fn` with these variables set (and the others of DOCKER_VARS unset), synchronously, then restores them. */
function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const saved = Object.fromEntries(DOCKER_VARS.map((k) => [k, process.env[k]]));
  for (const k of DOCKER_VARS) delete process.env[k];
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const k of DOCKER_VARS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

test("dockerode's own constructor lets the environment win: DOCKER_HOST silences the socket, DOCKER_CERT_PATH is read (the trap)", (t) => {
  const redirected = withEnv(
    { DOCKER_HOST: 'tcp://127.0.0.1:1' },
    () => new Docker({ socketPath: '/run/configured.sock' }).modem as unknown as Record<string, unknown>,
  );
  t.is(redirected.host, '127.0.0.1');
  t.throws(() => withEnv(hostile, () => new Docker({ socketPath: '/run/configured.sock' })), { message: /ENOENT/ });
});

test('dockerFor: the configured socket, whatever DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, DOCKER_PATH_PREFIX, DOCKER_CLIENT_TIMEOUT say', (t) => {
  const modem = withEnv(
    hostile,
    () => dockerFor({ kind: 'unix', path: '/run/configured.sock' }).modem as unknown as Record<string, unknown>,
  );
  t.is(modem.socketPath, '/run/configured.sock');
  t.is(modem.host, undefined);
  t.is(modem.pathPrefix, undefined);
  t.is(modem.timeout, undefined);
  t.is(modem.protocol, 'http');
  const tcp = withEnv(
    hostile,
    () =>
      dockerFor({ kind: 'tcp', host: '10.0.0.1', port: 2375, tls: false }).modem as unknown as Record<string, unknown>,
  );
  t.like(tcp, {
    host: '10.0.0.1',
    port: 2375,
    protocol: 'http',
    socketPath: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
  });
});

test("dockerFor sets every field docker-modem's constructor sets (a new one in an upgrade fails here)", (t) => {
  const constructed = withEnv(
    {},
    () => new Modem({ host: '10.0.0.1', port: 2375 }) as unknown as Record<string, unknown>,
  );
  const made = dockerFor({ kind: 'unix', path: '/s' }).modem as unknown as Record<string, unknown>;
  const fields = (o: Record<string, unknown>) =>
    Object.keys(o)
      .filter((k) => k !== 'Promise' && k !== 'socketPath')
      .sort();
  t.deepEqual(fields(made), fields(constructed));
  t.true('socketPath' in made);
});

test('dockerOptions is complete: host and socket never both set, TLS files only for tcp with tls', (t) => {
  t.deepEqual(dockerOptions({ kind: 'unix', path: '/s' }), {
    agent: UNIX_SOCKET_AGENT,
    socketPath: '/s',
    host: undefined,
    port: undefined,
    protocol: 'http',
    ca: undefined,
    cert: undefined,
    key: undefined,
  });
  t.like(dockerOptions({ kind: 'tcp', host: '::1', port: 2376, tls: false }), {
    socketPath: undefined,
    host: '::1',
    port: 2376,
    protocol: 'http',
  });
});

test('a HostClient on a unix endpoint talks to that socket while DOCKER_HOST points elsewhere', async (t) => {
  const socket = join(mkdtempSync(join(tmpdir(), 'stack-endpoint-')), 'd.sock');
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  t.teardown(() => server.close());
  const client = withEnv(hostile, () =>
    HostClient.fromSpec({ name: 'h', endpoint: { kind: 'unix', path: socket }, labels: {} }),
  );
  await client.ping();
  t.deepEqual(seen, ['GET /_ping']);
});

test('an ssh:// host carries as many calls at once as its channels; a socket or TCP host is not bounded by its transport', (t) => {
  const ssh = HostClient.fromSpec({
    name: 's1',
    endpoint: { kind: 'ssh', user: 'deploy', host: '10.0.0.9', port: 22 },
    labels: {},
  } as unknown as HostSpec);
  t.is(ssh.maxInFlight, MAX_CHANNELS);
  const unix = HostClient.fromSpec({
    name: 'h1',
    endpoint: { kind: 'unix', path: '/run/none.sock' },
    labels: {},
  } as unknown as HostSpec);
  t.is(unix.maxInFlight, Infinity);
});

test('the agents docker-modem formats on every request describe themselves in one line', (t) => {
  // docker-modem runs util.inspect(options, { showHidden: true, depth: null }) per request, agent included.
  const deep = { showHidden: true, depth: null };
  t.is(inspect({ agent: UNIX_SOCKET_AGENT }, deep), '{ agent: Agent(unix socket) }');
  const ssh = sshAgent({ kind: 'ssh', user: 'root', host: '192.0.2.7', port: 22 } as never);
  t.is(inspect({ agent: ssh }, deep), '{ agent: Agent(ssh) }');
  t.is((UNIX_SOCKET_AGENT as unknown as { options: { servername?: string } }).options.servername, '');
});
