/**
 * The HostClient's fault handling against a real daemon (h1): writes whose work is already done count
 * as success (a repeated create with our labels, start/stop twice, remove of what is gone, a repeated
 * rename, connect or network create); the same name with other labels is still an error; a time limit
 * that cannot be met and a daemon that is not there give classified errors after bounded retries.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostClient } from '../../src/docker/client.js';
import { DEFAULT_FAULT_SETTINGS } from '../../src/docker/faults.js';
import { Labels } from '../../src/labels.js';
import { docker, eventually, hostSpecs, IMAGE, uniqueStack } from './reconcile-helpers.js';
import { endpointOf } from '../helpers/endpoint.js';

const h1 = () => HostClient.fromSpec(hostSpecs('socket').find((h) => h.name === 'h1')!);
const labels = (stack: string, hash = 'a'.repeat(64)) => ({
  [Labels.managed]: 'true',
  [Labels.stack]: stack,
  [Labels.service]: 'app',
  [Labels.slot]: '1',
  [Labels.configHash]: hash,
});

test('writes whose work is already done count as success; another owner of the name is still an error', async (t) => {
  const stack = uniqueStack('hc');
  const client = h1();
  const name = `${stack}-app-1`;
  const net = `${stack}_net`;
  t.teardown(async () => {
    for (const n of [name, `${name}_next`, `${stack}-other`])
      await docker('h1')
        .getContainer(n)
        .remove({ force: true })
        .catch(() => undefined);
    await docker('h1')
      .getNetwork(net)
      .remove()
      .catch(() => undefined);
  });
  const body = { Image: IMAGE(), Cmd: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"], Labels: labels(stack) };
  await client.createContainer(`${name}_next`, body);
  await client.createContainer(`${name}_next`, body);
  const other = await t.throwsAsync(
    client.createContainer(`${name}_next`, { ...body, Labels: labels(stack, 'b'.repeat(64)) }),
  );
  t.regex(other.message, /host h1: create container .*_next: Conflict/);
  await client.start(`${name}_next`);
  await client.start(`${name}_next`);
  const netBody = {
    Name: net,
    Driver: 'bridge',
    CheckDuplicate: true,
    Labels: { [Labels.managed]: 'true', [Labels.stack]: stack, [Labels.network]: 'net' },
  };
  await client.createNetwork(netBody);
  await client.createNetwork(netBody);
  await client.connectNetwork(net, { Container: `${name}_next`, EndpointConfig: {} });
  await client.connectNetwork(net, { Container: `${name}_next`, EndpointConfig: {} });
  await client.rename(`${name}_next`, name);
  await client.rename(`${name}_next`, name);
  const i = await docker('h1').getContainer(name).inspect();
  t.true(i.State.Running);
  t.truthy(i.NetworkSettings.Networks[net]);
  await client.stop(name, 1);
  await client.stop(name, 1);
  await client.remove(name, { force: true, volumes: false });
  await client.remove(name, { force: true, volumes: false });
  await client.removeNetwork(net);
  await client.removeNetwork(net);
  // A rename onto a name held by a container that is not ours is an error.
  await docker('h1').createContainer({ Image: IMAGE(), name: `${stack}-other`, Cmd: ['true'] });
  await client.createContainer(`${name}_next`, body);
  await t.throwsAsync(client.rename(`${name}_next`, `${stack}-other`), { message: /rename container to .*-other/ });
});

test('a time limit that cannot be met: transient, retried a bounded number of times, then a HostError saying so', async (t) => {
  // A daemon that accepts the connection and never answers (a hung dockerd): a real socket, so the
  // limit can never be met, whatever the machine's load.
  const dir = await mkdtemp(join(tmpdir(), 'stack-hung-'));
  const socket = join(dir, 'docker.sock');
  const held: Socket[] = [];
  const server = createServer((conn) => {
    held.push(conn);
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  t.teardown(async () => {
    for (const c of held) c.destroy();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  const client = HostClient.fromSpec(
    { name: 'h1', endpoint: endpointOf(`unix://${socket}`), labels: {} },
    { ...DEFAULT_FAULT_SETTINGS, readTimeoutMs: 100, retries: 2, baseDelayMs: 5 },
  );
  const err = await t.throwsAsync(client.listImages());
  t.regex(err.message, /^host h1: list images: no answer within 0.1s \(after 3 attempts\)$/);
  t.is((err as unknown as { faultClass: string }).faultClass, 'transient');
  t.is(client.counts.reads, 3);
  // The server's accept of the last attempt may run a tick after the client gave up on it.
  await eventually(async () => held.length === 3, 2_000, 'the server to have accepted three connections');
  t.is(held.length, 3, 'each attempt opened its own connection');
});

test('a daemon that is not there: unreachable after its brief retries', async (t) => {
  const client = HostClient.fromSpec(
    { name: 'h9', endpoint: endpointOf('unix:///run/stack-sandbox/h9-does-not-exist/docker.sock'), labels: {} },
    { ...DEFAULT_FAULT_SETTINGS, baseDelayMs: 5 },
  );
  const err = await t.throwsAsync<Error & { unreachable: boolean; attempts: number }>(client.ping());
  t.true(err.unreachable);
  t.is(err.attempts, DEFAULT_FAULT_SETTINGS.unreachableRetries + 1);
  t.regex(err.message, /host h9: ping: connect ENOENT/);
});

test('a start whose network the daemon does not see is asked again with back-off, then fails naming the network', async (t) => {
  // What a daemon that has not caught up with the cluster store answers; here the network is really gone.
  const stack = uniqueStack('hcnet');
  const net = `${stack}_net`;
  const name = `${stack}-app-1`;
  t.teardown(async () => {
    await docker('h1')
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
    await docker('h1')
      .getNetwork(net)
      .remove()
      .catch(() => undefined);
  });
  await docker('h1').createNetwork({ Name: net, Driver: 'bridge' });
  await docker('h1').createContainer({
    name,
    Image: IMAGE(),
    Cmd: ['sleep', '3600'],
    HostConfig: { NetworkMode: net },
  });
  await docker('h1').getNetwork(net).remove();
  const client = HostClient.fromSpec(
    hostSpecs('socket').find((h) => h.name === 'h1')!,
    { ...DEFAULT_FAULT_SETTINGS, retries: 2, baseDelayMs: 5 },
  );
  const err = await t.throwsAsync(client.start(name));
  t.regex(err.message, new RegExp(`^host h1: start container ${name}: network ${net} not found`));
  t.is(client.counts.writes, 3, 'the first start and 2 more');
  t.false((await docker('h1').getContainer(name).inspect()).State.Running);
});
