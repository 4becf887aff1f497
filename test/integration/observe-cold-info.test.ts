/**
 * A cold start's GET /info goes beside the hosts' lists (ObserveOptions.coldStart): on real daemons, each host's
 * /info is asked before its network list has answered; without coldStart it is asked after, and only where the
 * host's networks do not show the overlay. The stack is only observed: nothing is created.
 */
import test from 'ava';
import { clientsFor, type HostClient } from '../../src/docker/client.js';
import { desiredFor, IMAGE, network, planStack, service, uniqueStack } from './reconcile-helpers.js';

/** Records, per host, when /info was asked and when the network list answered (a counter, not a clock). */
function traced(clients: ReadonlyMap<string, HostClient>) {
  let tick = 0;
  const seen: Record<string, { infoAsked?: number; networksAnswered?: number }> = {};
  for (const [host, c] of clients) {
    const s: { infoAsked?: number; networksAnswered?: number } = (seen[host] = {});
    const info = c.info.bind(c);
    const listNetworks = c.listNetworks.bind(c);
    c.info = () => {
      s.infoAsked = ++tick;
      return info();
    };
    c.listNetworks = async (...args: Parameters<typeof listNetworks>) => {
      const r = await listNetworks(...args);
      s.networksAnswered = ++tick;
      return r;
    };
  }
  return seen;
}

function overlayStack() {
  const name = uniqueStack('coldinfo');
  return desiredFor(
    name,
    [service('web', { image: IMAGE(), command: ['sleep', '60'], networks: { back: { aliases: [] } } })],
    'socket',
    {
      networks: { back: network('back', name, { driver: 'overlay' }) },
    },
  );
}

test('cold start: every host is asked /info before its network list answers; the engine facts are the same', async (t) => {
  const d = overlayStack();
  const clients = clientsFor(d.hosts);
  const seen = traced(clients);
  const planned = await planStack(d, { clients, coldStart: true });
  for (const h of ['h1', 'h2', 'h3']) {
    const s = seen[h];
    t.truthy(s.infoAsked, `${h}: /info asked`);
    t.true(s.infoAsked! < s.networksAnswered!, `${h}: asked before the networks answered (${JSON.stringify(s)})`);
    t.truthy(planned.observed.hosts[h].engine, `${h}: its engine facts observed`);
  }
  t.true(planned.plan.operations.some((o) => o.kind === 'network.create'));
});

test('not cold: /info is asked after the lists, as before', async (t) => {
  const d = overlayStack();
  const clients = clientsFor(d.hosts);
  const seen = traced(clients);
  const planned = await planStack(d, { clients });
  for (const h of ['h1', 'h2', 'h3']) {
    const s = seen[h];
    t.true(s.infoAsked! > s.networksAnswered!, `${h}: asked after the networks answered (${JSON.stringify(s)})`);
    t.truthy(planned.observed.hosts[h].engine, h);
  }
});
