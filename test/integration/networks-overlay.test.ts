/**
 * Engine overlay networks across the 3 sandbox hosts (their daemons share the etcd cluster store): created once,
 * one network on every host; services on different hosts reach each other by service name, container name and
 * alias; a service's name resolves to one address per replica; two stacks' overlays are isolated; an internal
 * overlay has no way out; a changed network is replaced with its containers. Named *overlay* so it runs last,
 * after `sandbox heal` (dockerd 20.10 overlay teardown bug); it pulls no image. For the same bug, stacks are
 * removed after the last test, not after each (a teardown can leave a daemon's store calls failing), and the
 * test that replaces a network runs last.
 */
import test from 'ava';
import type { DesiredState, NetworkSpec, ServiceSpec } from '../../src/stack/types.js';
import { clientsFor } from '../../src/docker/client.js';
import {
  containersOf,
  deploy,
  desiredFor,
  describeOverlay,
  docker,
  eventually,
  execIn,
  inspect,
  network,
  sandbox,
  service,
  stackEvents,
  uniqueStack,
  IMAGE,
  eventWindowStart,
  planStack,
} from './reconcile-helpers.js';

/** Every stack of this file, removed after the last test. */
const stacks: DesiredState[] = [];
const cleanup = (_t: unknown, d: DesiredState) => void stacks.push(d);

test.after.always('remove the stacks, and endpoints a daemon left in the store', async () => {
  for (const d of stacks) await deploy(d, { destroy: true, pruneVolumes: true }).catch(() => undefined);
  // A daemon hit by the overlay teardown bug can fail to delete an endpoint from the store: force it out.
  for (const d of stacks)
    for (const n of Object.values(d.networks))
      for (const h of ['h1', 'h2', 'h3']) {
        const net = docker(h).getNetwork(n.name);
        const info = await net.inspect().catch(() => undefined);
        if (!info) continue;
        for (const ep of Object.values((info.Containers ?? {}) as Record<string, { Name: string }>))
          await net.disconnect({ Container: ep.Name, Force: true }).catch(() => undefined);
        await net.remove().catch(() => undefined);
      }
});

const on = (h: string) => ({
  constraints: [{ field: 'node.hostname', op: '==' as const, value: h, text: `node.hostname == ${h}` }],
});

/** httpd on :8080 serving /www/id: the replica's id (its hostname, the container's short id). */
type ServiceOver = NonNullable<Parameters<typeof service>[1]>;

function server(name: string, over: ServiceOver = {}): ServiceSpec {
  return service(name, {
    image: IMAGE(),
    command: ['sh', '-c', 'mkdir -p /www && hostname > /www/id && exec httpd -f -p 8080 -h /www'],
    stopGracePeriodNs: 1e9,
    ...over,
  });
}

function client(name: string, over: ServiceOver = {}): ServiceSpec {
  return service(name, { image: IMAGE(), command: ['sleep', '3600'], stopGracePeriodNs: 1e9, ...over });
}

const overlay = (stack: string, key: string, over: Partial<NetworkSpec> = {}) =>
  network(key, stack, { driver: 'overlay', ...over });

/** GET url from inside a container: the body, or undefined when it fails. */
async function fetchFrom(host: string, container: string, url: string): Promise<string | undefined> {
  const r = await execIn(host, container, ['timeout', '5', 'wget', '-qO-', url]);
  return r.exitCode === 0 ? r.output.trim() : undefined;
}

/** The replica id a container's httpd serves (its hostname). */
async function replicaId(host: string, container: string): Promise<string> {
  return (await inspect(host, container)).Config.Hostname;
}

function threeTier(name: string, back: Partial<NetworkSpec> = {}): DesiredState {
  const net = (aliases: string[] = []) => ({ back: { aliases } });
  return desiredFor(
    name,
    [
      client('web', { networks: net(), deploy: on('h1') }),
      server('api', { networks: net(['backend']), deploy: on('h2') }),
      server('db', { networks: net(), deploy: on('h3') }),
    ],
    'socket',
    { networks: { back: overlay(name, 'back', back) } },
  );
}

test.serial(
  'web on h1 reaches api on h2 and db on h3 over one overlay, by service name, container name and alias',
  async (t) => {
    const name = uniqueStack('ov');
    const d = threeTier(name);
    cleanup(t, d);
    const since = await eventWindowStart();
    const first = await deploy(d);
    t.true(first.result?.ok, JSON.stringify(first.result?.failures));
    // one create, through the first host, shown once
    t.deepEqual(
      first.plan.operations.filter((o) => o.kind === 'network.create').map((o) => o.id),
      [`h1 create network ${name}_back`],
    );
    const creates = (await stackEvents(name, since)).filter((e) => e.Type === 'network' && e.Action === 'create');
    t.deepEqual(
      creates.map((e) => e.host),
      ['h1'],
      JSON.stringify(creates),
    );
    // one network (same id, global scope) on every host
    const seen = await Promise.all(['h1', 'h2', 'h3'].map((h) => docker(h).getNetwork(`${name}_back`).inspect()));
    t.is(new Set(seen.map((n) => n.Id)).size, 1);
    t.true(seen.every((n) => n.Scope === 'global' && n.Driver === 'overlay'));
    const found = await containersOf(name);
    t.is(found.get(`${name}-web-1`)!.host, 'h1');
    t.is(found.get(`${name}-api-1`)!.host, 'h2');
    t.is(found.get(`${name}-db-1`)!.host, 'h3');
    const apiId = await replicaId('h2', `${name}-api-1`);
    const dbId = await replicaId('h3', `${name}-db-1`);
    for (const [target, id] of [
      ['api', apiId],
      ['db', dbId],
      [`${name}-api-1`, apiId],
      [`${name}-db-1`, dbId],
      ['backend', apiId],
    ] as const) {
      const body = await eventually(
        () => fetchFrom('h1', `${name}-web-1`, `http://${target}:8080/id`),
        30_000,
        `web → ${target}`,
        () => describeOverlay(`${name}_back`, { host: 'h1', container: `${name}-web-1`, lookup: target }),
      );
      t.is(body, id, target);
    }
    // observed again: the network every host lists is one network, nothing to do — and no host is asked GET /info
    // (its list shows the engine's overlay): ping, containers, networks, volumes, images; one host also the digest
    const clients = clientsFor(d.hosts);
    const again = await planStack(d, { clients });
    t.deepEqual(again.plan.operations, [], JSON.stringify(again.plan.changes));
    for (const h of ['h1', 'h2', 'h3']) {
      t.like(again.observed.hosts[h], { overlayShown: 'engine', engine: undefined }, h);
    }
    // ping and the four lists on every host; the image's digest asked of one (the first whose ping answered)
    const reads = ['h1', 'h2', 'h3'].map((h) => clients.get(h)!.counts.reads).sort();
    t.deepEqual(reads, [5, 5, 6], `reads per host: ${reads.join(', ')}`);
  },
);

test.serial(
  'a service with replicas on three hosts resolves to one address per replica, each serving its own id',
  async (t) => {
    const name = uniqueStack('ov');
    const d = desiredFor(
      name,
      [
        server('echo', { networks: { back: { aliases: [] } }, deploy: { replicas: 3 } }),
        client('probe', { networks: { back: { aliases: [] } }, deploy: on('h1') }),
      ],
      'socket',
      {
        networks: { back: overlay(name, 'back') },
      },
    );
    cleanup(t, d);
    const r = await deploy(d);
    t.true(r.result?.ok, JSON.stringify(r.result?.failures));
    const found = await containersOf(name);
    const replicas = [1, 2, 3].map((i) => found.get(`${name}-echo-${i}`)!);
    t.deepEqual(replicas.map((c) => c.host).sort(), ['h1', 'h2', 'h3']);
    const byIp = new Map<string, string>();
    for (const c of replicas) {
      const i = await inspect(c.host, c.info.Names[0].slice(1));
      byIp.set(i.NetworkSettings.Networks[`${name}_back`].IPAddress, i.Config.Hostname);
    }
    const addresses = await eventually(
      async () => {
        const out = await execIn('h1', `${name}-probe-1`, ['nslookup', 'echo']);
        // `Address: 10.0.8.3` per answer; the server's own line carries a port (`127.0.0.11:53`).
        const ips = [...out.output.matchAll(/^Address(?: \d+)?:\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1]).sort();
        return ips.length === 3 ? ips : undefined;
      },
      30_000,
      'three addresses for echo',
    );
    t.deepEqual(addresses, [...byIp.keys()].sort());
    for (const ip of addresses)
      t.is(
        await eventually(() => fetchFrom('h1', `${name}-probe-1`, `http://${ip}:8080/id`), 20_000, `fetch ${ip}`),
        byIp.get(ip)!,
      );
  },
);

test.serial("two stacks' overlays are isolated from each other", async (t) => {
  const a = uniqueStack('ova');
  const b = uniqueStack('ovb');
  const da = desiredFor(
    a,
    [
      client('probe', { networks: { back: { aliases: [] } }, deploy: on('h1') }),
      server('mine', { networks: { back: { aliases: [] } }, deploy: on('h2') }),
    ],
    'socket',
    {
      networks: { back: overlay(a, 'back') },
    },
  );
  const db = desiredFor(b, [server('theirs', { networks: { back: { aliases: [] } }, deploy: on('h2') })], 'socket', {
    networks: { back: overlay(b, 'back') },
  });
  cleanup(t, da);
  cleanup(t, db);
  const [ra, rb] = await Promise.all([deploy(da), deploy(db)]);
  t.true(ra.result?.ok && rb.result?.ok, JSON.stringify([ra.result?.failures, rb.result?.failures]));
  const theirs = await inspect('h2', `${b}-theirs-1`);
  const theirIp = theirs.NetworkSettings.Networks[`${b}_back`].IPAddress;
  // the probe reaches its own stack's server (so the network works) …
  t.is(
    await eventually(() => fetchFrom('h1', `${a}-probe-1`, 'http://mine:8080/id'), 30_000, 'probe → mine'),
    await replicaId('h2', `${a}-mine-1`),
  );
  // … and the other stack's server answers on its own overlay (seen from h2's namespace is not needed: its own probe)
  t.falsy(await fetchFrom('h1', `${a}-probe-1`, `http://${theirIp}:8080/id`), 'no route to the other stack by address');
  for (const target of ['theirs', `${b}-theirs-1`]) {
    const r = await execIn('h1', `${a}-probe-1`, ['nslookup', target]);
    t.false(r.output.includes(theirIp), `${target} must not resolve across stacks: ${r.output}`);
    t.falsy(await fetchFrom('h1', `${a}-probe-1`, `http://${target}:8080/id`));
  }
});

test.serial(
  'a container on an internal overlay cannot reach the registry; one on a normal overlay can (driver_opts and attachable given to the Engine)',
  async (t) => {
    const name = uniqueStack('ovi');
    const registry = `http://${sandbox().registry}/v2/`;
    const d = desiredFor(
      name,
      [
        client('inside', { networks: { closed: { aliases: [] } }, deploy: on('h2') }),
        client('outside', { networks: { open: { aliases: [] } }, deploy: on('h2') }),
      ],
      'socket',
      {
        networks: {
          closed: overlay(name, 'closed', { internal: true }),
          open: overlay(name, 'open', { attachable: true, driverOpts: { 'com.docker.network.driver.mtu': '1400' } }),
        },
      },
    );
    cleanup(t, d);
    const r = await deploy(d);
    t.true(r.result?.ok, JSON.stringify(r.result?.failures));
    t.true(
      (await docker('h3').getNetwork(`${name}_closed`).inspect()).Internal,
      'internal, seen from another host too',
    );
    const open = await docker('h3').getNetwork(`${name}_open`).inspect();
    t.true(open.Attachable);
    t.is(open.Options?.['com.docker.network.driver.mtu'], '1400');
    // the overlay driver takes the VXLAN header (50 bytes) off the MTU it is given
    t.is((await execIn('h2', `${name}-outside-1`, ['cat', '/sys/class/net/eth0/mtu'])).output.trim(), '1350');
    t.is(await eventually(() => fetchFrom('h2', `${name}-outside-1`, registry), 20_000, 'outside → registry'), '{}');
    t.is(await fetchFrom('h2', `${name}-inside-1`, registry), undefined);
  },
);

test.serial(
  'a changed overlay network is replaced with the containers attached to it, and they reach each other again',
  async (t) => {
    const name = uniqueStack('ovr');
    const d1 = threeTier(name);
    cleanup(t, d1);
    t.true((await deploy(d1)).result?.ok);
    const before = await docker('h2').getNetwork(`${name}_back`).inspect();
    const oldIds = new Map([...(await containersOf(name))].map(([n, c]) => [n, c.info.Id]));
    const d2 = threeTier(name, { labels: { tier: 'back' }, ipam: { config: [{ subnet: '10.123.45.0/24' }] } });
    const planned = await planStack(d2);
    t.deepEqual(planned.plan.changes.map((c) => `${c.action} ${c.name}`).sort(), [
      `replace ${name}-api-1`,
      `replace ${name}-db-1`,
      `replace ${name}-web-1`,
      `replace ${name}_back`,
    ]);
    const r = await deploy(d2);
    t.true(r.result?.ok, JSON.stringify(r.result?.failures));
    const after = await docker('h3').getNetwork(`${name}_back`).inspect();
    t.not(after.Id, before.Id);
    t.is(after.Labels?.tier, 'back');
    t.deepEqual(
      after.IPAM?.Config?.map((c) => c.Subnet),
      ['10.123.45.0/24'],
    );
    const now = await containersOf(name);
    for (const [n, id] of oldIds) t.not(now.get(n)?.info.Id, id, `${n} recreated`);
    const apiIp = (await inspect('h2', `${name}-api-1`)).NetworkSettings.Networks[`${name}_back`].IPAddress;
    t.true(apiIp.startsWith('10.123.45.'));
    t.is(
      await eventually(
        () => fetchFrom('h1', `${name}-web-1`, 'http://api:8080/id'),
        30_000,
        'web → api after replace',
        () => describeOverlay(`${name}_back`, { host: 'h1', container: `${name}-web-1`, lookup: 'api' }),
      ),
      await replicaId('h2', `${name}-api-1`),
    );
    t.deepEqual((await planStack(d2)).plan.operations, []);
  },
);
