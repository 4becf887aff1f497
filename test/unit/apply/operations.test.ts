/**
 * Every operation kind has its case in the executor: each kind of the union (OP_KINDS) is run against a host
 * client and a Consul store that record the call they get and fail it, and must reach the call its kind stands
 * for — never the exhaustiveness check's "unknown operation".
 */
import test from 'ava';
import { runOperation } from '../../../src/apply/index.js';
import type { HostClient } from '../../../src/docker/client.js';
import type { OverlayStore } from '../../../src/overlay/store.js';
import { OP_KINDS, type Operation, type OpKind, type OpParams } from '../../../src/plan/types.js';

const body = { Name: 'x' };
/** One valid set of parameters per kind: the record type makes the compiler check that every kind has one. */
const PARAMS: { [K in OpKind]: OpParams[K] } = {
  'image.pull': { image: 'busybox:1.35' },
  'network.create': { body },
  'network.remove': { name: 'n' },
  'volume.create': { body },
  'volume.remove': { name: 'v' },
  'container.create': { name: 'c', body: {} },
  'network.connect': { network: 'n', container: 'c', body: { Container: 'c', EndpointConfig: {} } },
  'network.disconnect': { network: 'n', container: 'c' },
  'container.start': { name: 'c' },
  'container.stop': { name: 'c', timeoutSeconds: 1 },
  'container.remove': { name: 'c', force: true, volumes: false },
  'container.rename': { name: 'c', newName: 'd' },
  'container.update': { name: 'c', body: { RestartPolicy: { Name: 'always' } } },
  'container.wait-healthy': { name: 'c', timeoutMs: 1 },
  'container.wait-exit': { name: 'c', timeoutMs: 1 },
  'container.wait-running': { name: 'c', monitorMs: 1, timeoutMs: 1 },
  'container.wait-ready': { name: 'c', monitorMs: 1, timeoutMs: 1 },
  'archive.put': { container: 'c', path: '/p', files: [{ name: 'f', ref: 'secret:s', mode: 0o400, uid: 0, gid: 0 }] },
  'rollout.barrier': { delayMs: 0 },
  'rollout.drain': { delayMs: 0 },
  'overlay.allocate': { stack: 'app', key: 'k', name: 'app_k', hosts: { h1: '10.0.0.1' } },
  'overlay.bridge': { stack: 'app', key: 'k', name: 'app_k', host: 'h1' },
  'overlay.program': { stack: 'app', key: 'k', name: 'app_k', host: 'h1', peers: [], image: 'helper' },
  'overlay.unprogram': { stack: 'app', key: 'k', host: 'h1', vni: 4097, image: 'helper' },
  'overlay.release': { stack: 'app', key: 'k' },
  'overlay.register': {
    container: 'c',
    network: 'app_k',
    node: 'stack-h1',
    nodeAddress: '10.0.0.1',
    serviceId: 's',
    service: 'app-k',
    tags: [],
    meta: {},
  },
  'overlay.deregister': { node: 'stack-h1', serviceId: 's' },
};

/** The first call each kind makes: on the host's daemon, on Consul, or none (rollout steps wait only). */
const FIRST_CALL: Record<OpKind, string | undefined> = {
  'image.pull': 'client.pull',
  'network.create': 'client.createNetwork',
  'network.remove': 'client.removeNetwork',
  'volume.create': 'client.createVolume',
  'volume.remove': 'client.removeVolume',
  'container.create': 'client.createContainer',
  'network.connect': 'client.connectNetwork',
  'network.disconnect': 'client.disconnectNetwork',
  'container.start': 'client.start',
  'container.stop': 'client.stop',
  'container.remove': 'client.remove',
  'container.rename': 'client.rename',
  'container.update': 'client.update',
  'container.wait-healthy': 'client.watchContainer',
  'container.wait-exit': 'client.watchContainer',
  'container.wait-running': 'client.watchContainer',
  'container.wait-ready': 'client.inspectContainer',
  'archive.put': 'contents',
  'rollout.barrier': undefined,
  'rollout.drain': undefined,
  'overlay.allocate': 'store.list',
  'overlay.bridge': 'store.list',
  'overlay.program': 'store.list',
  'overlay.unprogram': 'client.docker.createContainer',
  'overlay.release': 'store.list',
  'overlay.register': 'client.inspectContainer',
  'overlay.deregister': 'store.deregister',
};

/** An object whose every method records its name and fails. */
function recorder<T>(prefix: string, calls: string[]): T {
  return new Proxy(
    {},
    {
      get: (_t, name): unknown =>
        name === 'then'
          ? undefined
          : name === 'docker'
            ? recorder(`${prefix}.docker`, calls)
            : () => {
                calls.push(`${prefix}.${String(name)}`);
                throw new Error(`${prefix}.${String(name)} refused`);
              },
    },
  ) as T;
}

for (const kind of OP_KINDS)
  test(`${kind}: the executor has its case`, async (t) => {
    const calls: string[] = [];
    const op = {
      id: `h1 ${kind}`,
      kind,
      host: 'h1',
      resource: 'r',
      cause: 'test',
      deps: [],
      params: PARAMS[kind],
      write: true,
    } as Operation;
    const result = await runOperation(op, recorder<HostClient>('client', calls), {
      contents: () => {
        calls.push('contents');
        throw new Error('contents refused');
      },
      pollIntervalMs: 1,
      overlayStore: recorder<OverlayStore>('store', calls),
    }).then(
      () => 'done',
      (err: Error) => err.message,
    );
    t.false(result.startsWith('unknown'), result);
    t.is(calls.at(0), FIRST_CALL[kind]);
  });

test('the kinds at run time are the union: no kind twice, every executor table entry a kind', (t) => {
  t.is(new Set(OP_KINDS).size, OP_KINDS.length);
  t.deepEqual(Object.keys(FIRST_CALL).sort(), [...OP_KINDS].sort());
  t.deepEqual(Object.keys(PARAMS).sort(), [...OP_KINDS].sort());
});

test('a kind outside the union is refused, not silently skipped', async (t) => {
  const op = { id: 'h1 x', kind: 'container.teleport', host: 'h1', params: {} } as unknown as Operation;
  await t.throwsAsync(runOperation(op, recorder<HostClient>('client', []), { contents: () => Buffer.alloc(0) }), {
    message: /^unknown operation: .*container\.teleport/,
  });
});
