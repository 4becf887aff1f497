/**
 * A no-op on stack's own overlay asks no host GET /info (which makes dockerd run runc and docker-init): with
 * `x-stack.overlay: auto` the hosts' own networks already show stack's overlay, which auto keeps; with `consul` the
 * daemons' cluster stores never matter. Each host is read five times (ping, containers, networks, volumes, images),
 * the first also for the image's digest, and the plan is empty.
 */
import test from 'ava';
import { clientsFor } from '../../src/docker/client.js';
import { planStack } from './reconcile-helpers.js';
import { cleanupVx, deploy, uniqueStack, webApi } from './vxlan-helpers.js';

const HOSTS = ['h1', 'h2', 'h3'];

for (const setting of ['auto', 'consul'] as const)
  test(`x-stack.overlay ${setting}: once applied, a plan reads five times per host, no /info, and is empty`, async (t) => {
    const base = webApi(uniqueStack(setting === 'auto' ? 'na' : 'nc'), { hostNames: HOSTS });
    const desired = { ...base, settings: { ...base.settings, overlay: setting } };
    cleanupVx(t, desired);
    const first = await deploy(desired);
    t.true(first.result?.ok, JSON.stringify(first.result?.failures));
    const clients = clientsFor(desired.hosts);
    const again = await planStack(desired, { clients });
    t.deepEqual(again.plan.operations, [], JSON.stringify(again.plan.changes));
    for (const h of HOSTS) {
      const seen = again.observed.hosts[h];
      t.is(seen.engine, undefined, `${h}: no /info`);
      t.is(seen.overlayShown, setting === 'auto' ? 'own' : undefined, h);
    }
    // ping and the four lists on every host; the image's digest asked of one (the first whose ping answered)
    const reads = HOSTS.map((h) => clients.get(h)!.counts.reads).sort();
    t.deepEqual(reads, [5, 5, 6], `reads per host: ${reads.join(', ')}`);
  });
