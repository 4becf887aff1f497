/**
 * A stopped lease ends its loops at once: releasing a lock never waits for the renewal's pause (up to
 * RENEW_EVERY_MS, 5 s, which every apply paid at its end). The Consul client is a stand-in whose blocking
 * queries end only when cancelled, as Consul's do.
 */
import type { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import test from 'ava';
import type { ConsulClient } from '../../../src/consul/client.js';
import { LockLease } from '../../../src/consul/lock-lease.js';

/** Blocking queries that return only once their `ctx` emits `cancel`; renewals counted. */
function standIn() {
  const calls = { renew: 0, watches: 0 };
  const blocking = (opts: { ctx: EventEmitter }, value: unknown) => {
    calls.watches++;
    return new Promise((resolve) => opts.ctx.once('cancel', () => resolve(value)));
  };
  const api = {
    kv: { get: (opts: { ctx: EventEmitter }) => blocking(opts, null) },
    session: {
      info: (opts: { ctx: EventEmitter }) => blocking(opts, [{ headers: {} }, null]),
      renew: () => {
        calls.renew++;
        return Promise.resolve([]);
      },
    },
  };
  const client = { once: (_action: string, fn: (a: typeof api) => Promise<unknown>) => fn(api) };
  return { client: client as unknown as ConsulClient, calls };
}

test('stop returns without waiting for the next renewal (ten minutes away here)', async (t) => {
  const { client, calls } = standIn();
  const times = { leaseMs: 1_200_000, renewEveryMs: 600_000, waitMs: 600_000 };
  const lease = new LockLease(client, 'web', 'stack/web/lock', 'session-1', performance.now(), times).start();
  await Promise.resolve();
  t.is(calls.watches, 2, 'the key and the session are watched');
  await lease.stop();
  t.is(calls.renew, 0, 'no renewal was sent');
  t.false(lease.lost.aborted, 'stopping is not losing the lock');
});

test('a lease stopped during a retry pause of its watches returns too', async (t) => {
  const { client } = standIn();
  const failing = {
    once: (action: string, fn: (api: unknown) => Promise<unknown>) =>
      action.startsWith('watch') ? Promise.reject(new Error('Consul unreachable')) : client.once(action, fn),
  } as unknown as ConsulClient;
  const times = { leaseMs: 1_200_000, renewEveryMs: 600_000, waitMs: 600_000 };
  const lease = new LockLease(failing, 'web', 'stack/web/lock', 'session-1', performance.now(), times).start();
  await new Promise((r) => setImmediate(r));
  await lease.stop();
  t.false(lease.lost.aborted);
});
