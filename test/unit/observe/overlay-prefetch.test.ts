/**
 * The overlay's Consul reads sent ahead (src/observe/overlay-prefetch.ts): with `x-stack.overlay: consul` the KV list
 * and each overlay network's catalog service are asked when observing starts, with `auto` when the first host's
 * networks show stack's own overlay; the first matching read takes that answer, later ones ask again; nothing is sent
 * for engine overlays, without overlay networks, or while no host shows the own overlay; a prefetched answer that
 * fails rejects for its reader and is not an unhandled rejection.
 */
import test from 'ava';
import { overlayReadsAhead } from '../../../src/observe/overlay-prefetch.js';
import type { OverlayStore } from '../../../src/overlay/store.js';
import type { ObservedHost } from '../../../src/observe/types.js';
import { KV_ROOT } from '../../../src/overlay/state.js';
import { Labels } from '../../../src/labels.js';
import { desired, network, service } from '../plan/helpers.js';

function store(fail = false): OverlayStore & { calls: string[] } {
  const calls: string[] = [];
  const answer = <T>(what: string, value: T) => {
    calls.push(what);
    return fail ? Promise.reject(new Error('consul: connection refused')) : Promise.resolve(value);
  };
  return {
    calls,
    address: 'http://127.0.0.1:8500',
    servers: ['http://127.0.0.1:8500'],
    list: (prefix) => answer(`list ${prefix}`, [{ key: `${prefix}x`, value: '1', modifyIndex: calls.length }]),
    service: (name) => answer(`service ${name}`, []),
    txn: () => answer('txn', true),
    register: () => answer('register', undefined),
    deregister: () => answer('deregister', undefined),
    services: () => answer('services', {}),
  };
}

/** A host as observed, with one network: labelled as stack's own overlay's, or a plain one. */
const host = (ownOverlay: boolean): ObservedHost => ({
  name: 'h1',
  containers: [],
  volumes: [],
  images: [],
  networks: [
    { name: 'app_back', labels: ownOverlay ? { [Labels.overlayVni]: '300' } : {} },
  ] as ObservedHost['networks'],
});

const withOverlay = (overlay: 'auto' | 'consul' | 'engine') =>
  desired([service('web')], {
    networks: { back: network('back', 'app', { driver: 'overlay' }), default: network('default') },
    settings: { hostConcurrency: 4, globalConcurrency: 16, overlay },
  });

test('consul: the KV and the catalog service of each overlay network are asked at once, and taken once', async (t) => {
  const consul = store();
  const ahead = overlayReadsAhead(withOverlay('consul'), consul);
  t.deepEqual(consul.calls, [`list ${KV_ROOT}`, 'service app-back']);
  ahead.hostObserved(host(true));
  t.is(consul.calls.length, 2, 'sent once');
  t.deepEqual(await ahead.store.list(KV_ROOT), [{ key: `${KV_ROOT}x`, value: '1', modifyIndex: 0 }]);
  t.deepEqual(await ahead.store.service('app-back'), []);
  t.is(consul.calls.length, 2, 'the first reads took the answers sent ahead');
  await ahead.store.list(KV_ROOT);
  await ahead.store.service('app-other');
  t.deepEqual(consul.calls.slice(2), [`list ${KV_ROOT}`, 'service app-other'], 'later reads ask Consul');
});

test("auto: nothing is sent until a host's networks show stack's own overlay, then the same reads, once", async (t) => {
  const consul = store();
  const ahead = overlayReadsAhead(withOverlay('auto'), consul);
  ahead.hostObserved(host(false));
  t.deepEqual(consul.calls, [], "a host without the own overlay's networks (the engine's, or none yet)");
  ahead.hostObserved(host(true));
  ahead.hostObserved(host(true));
  t.deepEqual(consul.calls, [`list ${KV_ROOT}`, 'service app-back']);
  await ahead.store.list(KV_ROOT);
  t.is(consul.calls.length, 2);
});

test('engine overlays and stacks without overlay networks read nothing ahead', (t) => {
  const consul = store();
  for (const d of [withOverlay('engine'), desired([service('web')])]) {
    const ahead = overlayReadsAhead(d, consul);
    ahead.hostObserved(host(true));
    t.is(ahead.store, consul);
  }
  t.deepEqual(consul.calls, []);
});

test('a read sent ahead that fails rejects for the reader that takes it, and is no unhandled rejection otherwise', async (t) => {
  const ahead = overlayReadsAhead(withOverlay('consul'), store(true));
  await t.throwsAsync(ahead.store.list(KV_ROOT), { message: 'consul: connection refused' });
  // the catalog answer is never taken: the process must not see an unhandled rejection (ava would fail the test)
  await new Promise((resolve) => setTimeout(resolve, 10));
  t.pass();
});
