/**
 * The overlay's Consul reads sent when observing starts (src/observe/overlay-prefetch.ts): for a stack whose overlay
 * networks stack's own overlay may realise, the KV list and each network's catalog service are asked at once; the
 * first matching read takes that answer, later ones ask again; nothing is sent for engine overlays or without overlay
 * networks; a prefetched answer nobody takes is not an unhandled rejection.
 */
import test from 'ava';
import { prefetchOverlayReads } from '../../../src/observe/overlay-prefetch.js';
import type { OverlayStore } from '../../../src/overlay/store.js';
import { KV_ROOT } from '../../../src/overlay/state.js';
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

const withOverlay = (overlay: 'auto' | 'consul' | 'engine') =>
  desired([service('web')], {
    networks: { back: network('back', 'app', { driver: 'overlay' }), default: network('default') },
    settings: { hostConcurrency: 4, globalConcurrency: 16, overlay },
  });

test('auto and consul: the KV and the catalog service of each overlay network are asked at once, and taken once', async (t) => {
  for (const overlay of ['auto', 'consul'] as const) {
    const consul = store();
    const reads = prefetchOverlayReads(withOverlay(overlay), consul);
    t.deepEqual(consul.calls, [`list ${KV_ROOT}`, 'service app-back'], overlay);
    t.deepEqual(await reads.list(KV_ROOT), [{ key: `${KV_ROOT}x`, value: '1', modifyIndex: 0 }]);
    t.deepEqual(await reads.service('app-back'), []);
    t.is(consul.calls.length, 2, `${overlay}: the first reads took the prefetched answers`);
    await reads.list(KV_ROOT);
    await reads.service('app-other');
    t.deepEqual(consul.calls.slice(2), [`list ${KV_ROOT}`, 'service app-other'], 'later reads ask Consul');
  }
});

test('engine overlays and stacks without overlay networks read nothing ahead', (t) => {
  const consul = store();
  t.is(prefetchOverlayReads(withOverlay('engine'), consul), consul);
  t.is(prefetchOverlayReads(desired([service('web')]), consul), consul);
  t.deepEqual(consul.calls, []);
});

test('a prefetched read that fails rejects for the reader that takes it, and is no unhandled rejection otherwise', async (t) => {
  const reads = prefetchOverlayReads(withOverlay('auto'), store(true));
  await t.throwsAsync(reads.list(KV_ROOT), { message: 'consul: connection refused' });
  // the catalog answer is never taken: the process must not see an unhandled rejection (ava would fail the test)
  await new Promise((resolve) => setTimeout(resolve, 10));
  t.pass();
});
