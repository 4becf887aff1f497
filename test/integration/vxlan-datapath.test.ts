/**
 * Stack's own Consul-backed overlay on the vx sandbox (daemons without a cluster store), the web/api/db
 * example of examples/consul-overlay: a web replica on h1 fetches by service name from api replicas on h2
 * and h3 and from db on h3, and api fetches from db, over VXLAN, with names from Consul. The VXLAN helpers
 * that programmed each host ran and are gone.
 */
import test from 'ava';
import { Labels } from '../../src/labels.js';
import { catalogService } from '../../src/overlay/names.js';
import { addressesIn, cleanupVx, deploy, docker, exec, store, uniqueStack, vx, webApi } from './vxlan-helpers.js';
import { eventually, testOwner } from './reconcile-helpers.js';
import { HostEventRecorder } from './event-recorder.js';

// Every vx host's events from when this file loads: the helpers' create and destroy are read from here.
const recorder = new HostEventRecorder(vx.hosts.map((h) => ({ name: h.name, docker: docker(h.name) })));

test('web on h1 reaches the api replicas on h2 and h3 and db on h3 by name, api reaches db; one address per replica; no helper left; the plan says why consul', async (t) => {
  const name = uniqueStack('a');
  const d = webApi(name, { db: true });
  cleanupVx(t, d);
  // The streams connect in the background (over TLS, under load possibly after this test starts): wait for them.
  await recorder.covers(Infinity);
  const since = Date.now();
  t.true(await recorder.covers(since), 'the event streams of every host are connected');
  const first = await deploy(d);
  t.true(first.result?.ok, JSON.stringify(first.result?.failures));
  t.deepEqual(first.plan.overlay, [
    { network: 'default', mode: 'consul', why: 'no cluster store on h1, h2, h3 (x-stack.overlay auto)' },
  ]);

  // On every host: the bridge network, labelled, with the host's own range and MTU 1450.
  const ranges = new Set<string | undefined>();
  for (const h of ['h1', 'h2', 'h3']) {
    const net = await docker(h).getNetwork(`${name}_default`).inspect();
    t.is(net.Driver, 'bridge');
    t.regex(net.Labels![Labels.overlayVni], /^\d+$/);
    t.is(net.Options!['com.docker.network.driver.mtu'], '1450');
    ranges.add(net.IPAM!.Config![0].IPRange);
  }
  t.is(ranges.size, 3, 'each host has its own lease');

  const apis = await Promise.all(
    ['h2', 'h3'].map(async (h) => {
      const list = await docker(h).listContainers({
        filters: { label: [`${Labels.stack}=${name}`, `${Labels.service}=api`] },
      });
      t.is(list.length, 1, `one api replica on ${h}`);
      return {
        host: h,
        ip: list[0].NetworkSettings.Networks[`${name}_default`].IPAddress,
        hostname: list[0].Id.slice(0, 12),
      };
    }),
  );
  const web = `${name}-web-1`;
  const looked = await eventually(
    async () => {
      const r = await exec('h1', web, ['nslookup', 'api']);
      const found = addressesIn(r.output);
      return found.length === 2 && found;
    },
    20_000,
    'api to resolve to two addresses',
  );
  t.deepEqual(looked, apis.map((a) => a.ip).sort());

  // HTTP by name reaches both replicas across hosts.
  const seen = new Set<string>();
  await eventually(
    async () => {
      const r = await exec('h1', web, ['sh', '-c', 'timeout 5 wget -qO- http://api:8080/']);
      if (r.exitCode === 0) seen.add(r.output.trim());
      return seen.size === 2;
    },
    30_000,
    'both api replicas to answer',
  );
  t.deepEqual([...seen].sort(), apis.map((a) => a.hostname).sort());

  // db on h3 by name, from web on h1 and from an api replica (h2): web → api → db all on stack's own overlay.
  const fromWeb = await eventually(
    async () => {
      const r = await exec('h1', web, ['sh', '-c', 'timeout 5 wget -qO- http://db:5432/']);
      return r.exitCode === 0 && r;
    },
    30_000,
    'db from web',
  );
  t.is(fromWeb.output.trim(), 'db');
  const apiOnH2 = (
    await docker('h2').listContainers({ filters: { label: [`${Labels.stack}=${name}`, `${Labels.service}=api`] } })
  )[0].Names[0].slice(1);
  t.is(
    await eventually(
      async () =>
        (await exec('h2', apiOnH2, ['sh', '-c', 'timeout 5 wget -qO- http://db:5432/'])).output.trim() || undefined,
      20_000,
      'db from api',
    ),
    'db',
  );

  // The helpers: one ran on each host the network spans (created, then destroyed), none is left on any host.
  t.deepEqual(
    first.plan.operations.filter((o) => o.kind === 'overlay.program').map((o) => o.host),
    ['h1', 'h2', 'h3'],
  );
  const helperEvents = await recorder.events(since, {
    type: ['container'],
    label: [`${Labels.overlayHelper}=${name}`],
  });
  for (const h of ['h1', 'h2', 'h3']) {
    const actions = helperEvents.filter((e) => e.host === h).map((e) => e.event.Action);
    t.true(actions.includes('create') && actions.includes('start'), `a helper ran on ${h}: ${actions.join(' ')}`);
    t.is(
      actions.filter((a) => a === 'destroy').length,
      actions.filter((a) => a === 'create').length,
      `every helper on ${h} removed`,
    );
  }
  const owner = (await testOwner(name)).id;
  const creates = helperEvents.filter((e) => e.event.Action === 'create');
  t.deepEqual(
    [...new Set(creates.map((e) => e.event.Actor.Attributes[Labels.owner]))],
    [owner],
    'every helper carries the identity of the stack it runs for',
  );
  for (const h of vx.hosts.map((x) => x.name))
    t.deepEqual(
      await docker(h).listContainers({ all: true, filters: { label: [`${Labels.overlayHelper}=${name}`] } }),
      [],
      `no helper left on ${h}`,
    );

  // Consul's catalog has one instance per replica; a re-apply changes nothing.
  t.is((await store().service(catalogService(name, 'default'))).length, 4);
  const again = await deploy(d);
  t.deepEqual(
    again.plan.operations.map((o) => o.id),
    [],
  );
});
