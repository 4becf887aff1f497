/**
 * Endpoints and who chooses them, end to end through the built CLI on the sandbox: the environment cannot
 * redirect a configured host (docker-modem's defaults), a stack file cannot choose where the operator's
 * credentials go (x-stack.hosts / x-stack.consul never override -i, DOCKER_HOST, --consul, CONSUL_HTTP_ADDR), and
 * hosts from the stack file get no registry credentials. Listeners of the test's own on 127.0.0.1 count what is
 * sent to them; a recording relay in front of h1's socket shows the request headers the daemon got.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { Labels } from '../../src/labels.js';
import { engine, sandbox } from '../helpers/sandbox.js';
import { bin, ensureBuilt, inventoryYaml, sandboxHosts, writeDir, type CliResult } from './cli-helpers.js';
import { eventWindowStart, stackEvents, uniqueStack } from './reconcile-helpers.js';

const IMAGE = () => sandbox().images.busybox;
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'stack-endpoints-state-'));

test.before(() => ensureBuilt());

/** `stack ARGS` in cwd with exactly this environment (plus PATH, HOME, NO_COLOR and a state directory). */
function stackWith(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', NO_COLOR: '1', STACK_STATE_DIR: stateDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** A TCP listener on 127.0.0.1 that counts connections and bytes, and closes each connection at once. */
async function listener(
  t: ExecutionContext,
): Promise<{ port: number; connections: () => number; bytes: () => number }> {
  let connections = 0;
  let bytes = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.on('data', (d) => (bytes += d.length));
    socket.on('error', () => undefined);
    setTimeout(() => socket.destroy(), 50);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections, bytes: () => bytes };
}

/** A relay on 127.0.0.1 to a daemon's unix socket that keeps every byte the client sent (request lines and headers). */
async function recordingRelay(t: ExecutionContext, socketPath: string): Promise<{ port: number; sent: () => string }> {
  let sent = '';
  const server = net.createServer((client) => {
    const daemon = net.connect(socketPath);
    client.on('data', (d) => (sent += d.toString('latin1')));
    client.pipe(daemon).pipe(client);
    const end = () => (client.destroy(), daemon.destroy());
    client.on('error', end);
    daemon.on('error', end);
    client.on('close', end);
    daemon.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as net.AddressInfo).port, sent: () => sent };
}

/** h1's socket path (the sandbox writes it as unix:///…). */
function h1Socket(): string {
  return sandbox()
    .hosts.find((h) => h.name === 'h1')!
    .socket.replace(/^unix:\/\//, '');
}

/** Removes the stack's containers and networks from h1 (what these tests create). */
function cleanupH1(t: ExecutionContext, name: string): void {
  t.teardown(async () => {
    const d = engine(sandbox().hosts.find((h) => h.name === 'h1')!);
    for (const c of await d.listContainers({ all: true, filters: { label: [`${Labels.stack}=${name}`] } }))
      await d
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    for (const n of await d.listNetworks({ filters: { label: [`${Labels.stack}=${name}`] } }))
      await d
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
  });
}

async function runningOnH1(name: string): Promise<string[]> {
  const d = engine(sandbox().hosts.find((h) => h.name === 'h1')!);
  return (await d.listContainers({ filters: { label: [`${Labels.stack}=${name}`] } })).map(
    (c) => `${c.Names[0]} ${c.State}`,
  );
}

const service = (name: string, extra = '') =>
  `name: ${name}\nservices:\n  web:\n    image: ${IMAGE()}\n    command: [sleep, "3600"]\n${extra}`;

test("DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH in the environment cannot redirect an inventory's unix host", async (t) => {
  const name = uniqueStack('ep-env');
  cleanupH1(t, name);
  const elsewhere = await listener(t);
  const dir = writeDir({ 'compose.yaml': service(name), 'inventory.yaml': inventoryYaml(sandboxHosts(['h1'])) });
  const env = {
    DOCKER_HOST: `tcp://127.0.0.1:${elsewhere.port}`,
    DOCKER_TLS_VERIFY: '1',
    DOCKER_CERT_PATH: '/nonexistent/junk',
    DOCKER_PATH_PREFIX: '/junk',
    DOCKER_CLIENT_TIMEOUT: '1',
  };
  const r = await stackWith(['apply', '-y', '-i', 'inventory.yaml'], dir, env);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await runningOnH1(name), [`/${name}-web-1 running`]);
  t.is(elsewhere.connections(), 0, 'nothing went to DOCKER_HOST');
  // The same with DOCKER_HOST=tcp://127.0.0.1:1, as a CI runner's docker-in-docker sets it: still h1, no change left to make.
  const again = await stackWith(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir, {
    ...env,
    DOCKER_HOST: 'tcp://127.0.0.1:1',
  });
  t.is(again.code, 0, again.stderr);
});

test("x-stack.hosts and x-stack.consul pointing at listeners of the test's own: with -i, or DOCKER_HOST, or --consul / CONSUL_HTTP_ADDR, nothing is sent to them", async (t) => {
  const name = uniqueStack('ep-x');
  cleanupH1(t, name);
  const hosts = await listener(t);
  const consul = await listener(t);
  const xStack = `x-stack:\n  hosts:\n    trap: { endpoint: "tcp://127.0.0.1:${hosts.port}", tls: false }\n  consul: "http://127.0.0.1:${consul.port}"\n`;
  const dir = writeDir({
    'compose.yaml': service(name, xStack),
    'inventory.yaml': inventoryYaml(sandboxHosts(['h1'])),
  });
  // Every run keeps the stack's state (its identity) in the operator's Consul: a run with another state store would
  // rightly be refused as a second stack of the same name.
  const operatorConsul = { CONSUL_HTTP_ADDR: sandbox().consul.http };
  const withInventory = await stackWith(['apply', '-y', '-i', 'inventory.yaml'], dir, {
    ...operatorConsul,
    CONSUL_HTTP_TOKEN: 'operator-secret',
  });
  t.is(withInventory.code, 0, withInventory.stderr);
  t.regex(withInventory.stderr, /x-stack\.hosts is ignored: the hosts come from the inventory/);
  t.regex(withInventory.stderr, /x-stack\.consul is ignored/);
  t.deepEqual(await runningOnH1(name), [`/${name}-web-1 running`]);
  const withDockerHost = await stackWith(['plan', '--detailed-exitcode'], dir, {
    ...operatorConsul,
    DOCKER_HOST: `unix://${h1Socket()}`,
  });
  t.is(withDockerHost.code, 0, withDockerHost.stderr);
  t.regex(withDockerHost.stderr, /x-stack\.hosts is ignored: the hosts come from DOCKER_HOST/);
  const withConsulFlag = await stackWith(['plan', '-i', 'inventory.yaml', '--detailed-exitcode'], dir, operatorConsul);
  t.is(withConsulFlag.code, 0, withConsulFlag.stderr);
  t.is(hosts.connections(), 0, 'nothing went to x-stack.hosts');
  t.is(consul.connections(), 0, 'nothing went to x-stack.consul');
  // Without the operator's hosts, x-stack.hosts is used (and fails: the listener is no daemon), but --consul still wins over x-stack.consul.
  const since = await eventWindowStart();
  const fileHosts = await stackWith(['apply', '-y', '--consul', sandbox().consul.http, '--lock-timeout', '0'], dir, {
    CONSUL_HTTP_TOKEN: 'operator-secret',
  });
  t.is(fileHosts.code, 1);
  t.regex(fileHosts.stderr, /x-stack\.consul is ignored: Consul comes from --consul/);
  t.true(hosts.connections() > 0, 'the control: x-stack.hosts was used once the operator named no hosts');
  t.is(consul.connections(), 0, 'nothing went to x-stack.consul');
  t.deepEqual(await stackEvents(name, since), [], 'nothing written on any host');
});

test("registry credentials go to the operator's hosts only: none in the requests to a host from x-stack.hosts", async (t) => {
  const sb = sandbox();
  const name = uniqueStack('ep-cred');
  const relay = await recordingRelay(t, h1Socket());
  const configDir = mkdtempSync(path.join(os.tmpdir(), 'stack-endpoints-docker-config-'));
  const { address, username, password } = sb.registryAuth;
  writeFileSync(
    path.join(configDir, 'config.json'),
    JSON.stringify({ auths: { [address]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } } }),
  );
  const compose = `name: ${name}\nservices:\n  web:\n    image: ${sb.images.private}\n    command: [sleep, "3600"]\n`;
  const relayed = `h1: { endpoint: "tcp://127.0.0.1:${relay.port}", tls: false }`;
  const dir = writeDir({
    'compose.yaml': `${compose}x-stack:\n  hosts:\n    ${relayed}\n`,
    'inventory.yaml': `hosts:\n  ${relayed}\n`,
  });
  const env = { DOCKER_CONFIG: configDir };
  // The control: the same relay in the operator's inventory carries the credentials (plan resolves the image's digest with them).
  const operator = await stackWith(['plan', '-i', 'inventory.yaml'], dir, env);
  t.is(operator.code, 0, operator.stderr);
  t.regex(relay.sent(), /X-Registry-Auth: /i);
  const before = relay.sent().length;
  const fromFile = await stackWith(['plan'], dir, env);
  t.regex(
    fromFile.stderr,
    new RegExp(`registry credentials for ${address} are not sent: the hosts come from the stack file`),
  );
  t.true(relay.sent().length > before, "the file's host was asked");
  t.notRegex(relay.sent().slice(before), /X-Registry-Auth/i);
  t.false(relay.sent().slice(before).includes(Buffer.from(password).toString('base64')));
});

test('a bad endpoint, plain tcp without tls: false, or a group-readable key: exit 1 with where and what to do, nothing written on any host', async (t) => {
  const name = uniqueStack('ep-bad');
  const tlsDir = writeDir({ 'ca.pem': 'ca', 'cert.pem': 'cert', 'key.pem': 'key' });
  const good = inventoryYaml(sandboxHosts(['h1']));
  const dir = writeDir({
    'compose.yaml': service(name),
    'shell.yaml': `${good}  h2: { endpoint: "tcp://10.77.0.12;touch /tmp/x:2376", tls: false }\n`,
    'semicolon.yaml': `${good}  h2: { endpoint: "tcp://10.77.0.12;id:2376", tls: false }\n`,
    'plain.yaml': `${good}  h2: { endpoint: "tcp://10.77.0.12:2375" }\n`,
    'key.yaml': `${good}  h2: { endpoint: "tcp://10.77.0.12:2376", tls: { ca: ${tlsDir}/ca.pem, cert: ${tlsDir}/cert.pem, key: ${tlsDir}/key.pem } }\n`,
  });
  const since = await eventWindowStart();
  const shell = await stackWith(['apply', '-y', '-i', 'shell.yaml'], dir);
  t.is(shell.code, 1);
  t.regex(
    shell.stderr,
    /shell\.yaml:5:19 hosts\.h2\.endpoint: host h2: tcp:\/\/10\.77\.0\.12;touch \/tmp\/x:2376 has a path, query or fragment/,
  );
  const semicolon = await stackWith(['apply', '-y', '-i', 'semicolon.yaml'], dir);
  t.is(semicolon.code, 1);
  t.regex(semicolon.stderr, /semicolon\.yaml:5:19 hosts\.h2\.endpoint: host h2: 10\.77\.0\.12;id is not a host name/);
  const plain = await stackWith(['apply', '-y', '-i', 'plain.yaml'], dir);
  t.is(plain.code, 1);
  t.regex(plain.stderr, /host h2: tcp:\/\/10\.77\.0\.12:2375 without TLS is refused/);
  const key = await stackWith(['apply', '-y', '-i', 'key.yaml'], dir);
  t.is(key.code, 1);
  t.true(key.stderr.includes(`chmod 600 ${tlsDir}/key.pem`), key.stderr);
  const badEnv = await stackWith(['apply', '-y'], dir, { DOCKER_HOST: 'https://10.77.0.11:2376' });
  t.is(badEnv.code, 1);
  t.regex(badEnv.stderr, /https:\/\/ is not a Docker endpoint/);
  for (const r of [shell, semicolon, plain, key, badEnv]) t.false(/at .*\.js:\d+/.test(r.stderr), 'no stack trace');
  t.deepEqual(await stackEvents(name, since), []);
});
