/**
 * Stack's own overlay over its lifetime, on the vx sandbox (no cluster store): isolation between stacks
 * and networks, names that follow scaling, a fourth host, removal, concurrent allocation, repair after
 * --refresh, and Consul unreachable before any write.
 */
import test from 'ava';
import { Labels } from '../../src/labels.js';
import { catalogService, deviceName } from '../../src/overlay/names.js';
import { KV_ROOT } from '../../src/overlay/state.js';
import { applyPlanned } from '../../src/apply/pipeline.js';
import { eventually, planStack } from './reconcile-helpers.js';
import {
  apiReplicas,
  cleanupVx,
  deleteDevice,
  deploy,
  devicesOn,
  docker,
  exec,
  IMAGE,
  ipOf,
  onHost,
  overlayNetwork,
  resolve,
  service,
  store,
  uniqueStack,
  vxDesired,
  webApi,
} from './vxlan-helpers.js';

const vniOf = async (host: string, network: string) =>
  Number((await docker(host).getNetwork(network).inspect()).Labels![Labels.overlayVni]);

test("a second stack on the same hosts: its short names give only its own replicas, and the first stack's are unreachable from it", async (t) => {
  const [a, b] = [uniqueStack('i'), uniqueStack('j')];
  const [da, db] = [webApi(a), webApi(b)];
  cleanupVx(t, da);
  cleanupVx(t, db);
  t.true((await deploy(da)).result?.ok);
  t.true((await deploy(db)).result?.ok);
  t.not(await vniOf('h1', `${a}_default`), await vniOf('h1', `${b}_default`), 'different VNIs');
  const [ra, rb] = [await apiReplicas(a), await apiReplicas(b)];
  const [webA, webB] = [`${a}-web-1`, `${b}-web-1`];
  // `api` from B is B's two replicas, none of A's (both stacks have a service of that name on the same hosts).
  const own = await eventually(
    async () => {
      const got = await resolve('h1', webB);
      return got.length === 2 && got;
    },
    20_000,
    'b api names',
  );
  t.deepEqual(
    own,
    rb.map((r) => r.ip),
  );
  t.deepEqual(
    own.filter((ip) => ra.some((r) => r.ip === ip)),
    [],
    `no address of stack ${a} in ${b}'s api`,
  );
  // Every replica of A answers A's own web (so a failure from B below is isolation, not a replica that is down) …
  for (const r of ra)
    t.is(
      (
        await eventually(
          async () => {
            const x = await exec('h1', webA, ['sh', '-c', `timeout 5 wget -qO- http://${r.ip}:8080/`]);
            return x.exitCode === 0 && x;
          },
          20_000,
          `${r.ip} from ${a}'s web`,
        )
      ).output.trim(),
      r.hostname,
    );
  // … and B's web reaches its own replicas …
  for (const r of rb)
    t.is(
      (
        await eventually(
          async () => {
            const x = await exec('h1', webB, ['sh', '-c', `timeout 5 wget -qO- http://${r.ip}:8080/`]);
            return x.exitCode === 0 && x;
          },
          20_000,
          `${r.ip} from ${b}'s web`,
        )
      ).output.trim(),
      r.hostname,
    );
  // … but none of A's: another VNI and subnet, and no route between the bridges on a host.
  for (const r of ra)
    t.not(
      (await exec('h1', webB, ['sh', '-c', `timeout 3 wget -qO- http://${r.ip}:8080/`])).exitCode,
      0,
      `${r.ip} of stack ${a} reachable from ${b}`,
    );
  // Consul's DNS is one for the cluster: A's full name does resolve from B, to A's addresses (docs/consul-overlay.md
  // says so), which B cannot reach.
  const full = `api.${catalogService(a, 'default')}.service.consul`;
  t.deepEqual(
    await resolve('h1', webB, full),
    ra.map((r) => r.ip),
  );
  t.not(
    (await exec('h1', webB, ['sh', '-c', `timeout 3 wget -qO- http://${full}:8080/`])).exitCode,
    0,
    `${full} reachable from ${b}`,
  );
});

test('two networks of one stack: a service resolves and reaches only names on its own network', async (t) => {
  const name = uniqueStack('n');
  const d = vxDesired(
    name,
    [
      service('api', {
        image: IMAGE,
        command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www'],
        stopGracePeriodNs: 1e9,
        networks: { back: { aliases: [] } },
        deploy: { constraints: onHost('h2') },
      }),
      service('web', {
        image: IMAGE,
        command: ['sleep', '3600'],
        stopGracePeriodNs: 1e9,
        networks: { front: { aliases: [] } },
        deploy: { constraints: onHost('h1') },
      }),
      service('gate', {
        image: IMAGE,
        command: ['sleep', '3600'],
        stopGracePeriodNs: 1e9,
        networks: { front: { aliases: [] }, back: { aliases: [] } },
        deploy: { constraints: onHost('h3') },
      }),
    ],
    { networks: { front: overlayNetwork('front', name), back: overlayNetwork('back', name) } },
  );
  cleanupVx(t, d);
  t.true((await deploy(d)).result?.ok);
  t.not(await vniOf('h1', `${name}_front`), await vniOf('h1', `${name}_back`));
  // gate is on both: it reaches api by name; web (front only) resolves no api and cannot reach it.
  t.is(
    (
      await eventually(
        async () => {
          const r = await exec('h3', `${name}-gate-1`, ['sh', '-c', 'timeout 5 wget -qO- http://api:8080/']);
          return r.exitCode === 0 && r;
        },
        20_000,
        'gate reaches api',
      )
    ).output.trim().length,
    12,
  );
  t.deepEqual(await resolve('h1', `${name}-web-1`), []);
  const apiIp = (await docker('h2').getContainer(`${name}-api-1`).inspect()).NetworkSettings.Networks[`${name}_back`]
    .IPAddress;
  t.not((await exec('h1', `${name}-web-1`, ['sh', '-c', `timeout 3 wget -qO- http://${apiIp}:8080/`])).exitCode, 0);
});

test('scaling api down removes its name at once; scaling up adds it', async (t) => {
  const name = uniqueStack('s');
  const d = webApi(name);
  cleanupVx(t, d);
  t.true((await deploy(d)).result?.ok);
  await eventually(async () => (await resolve('h1', `${name}-web-1`)).length === 2, 20_000, 'two names');
  const down = await deploy(webApi(name, { apiReplicas: 1 }));
  t.true(down.result?.ok);
  const dereg = down.plan.operations.find((o) => o.kind === 'overlay.deregister')!;
  t.true(
    down.plan.operations.find((o) => o.kind === 'container.stop')!.deps.includes(dereg.id),
    'deregistered before it stops',
  );
  const left = await apiReplicas(name);
  t.is(left.length, 1);
  // Right after the apply, with no waiting: Consul and DNS give the one replica left.
  t.deepEqual(
    (await store().service(catalogService(name, 'default')))
      .filter((e) => e.meta.service === 'api')
      .map((e) => e.address),
    [left[0].ip],
  );
  t.deepEqual(await resolve('h1', `${name}-web-1`), [left[0].ip]);
  t.true((await deploy(d)).result?.ok);
  t.deepEqual(
    await resolve('h1', `${name}-web-1`),
    (await apiReplicas(name)).map((r) => r.ip),
    'registered once started',
  );
});

test('a fourth host: the network reaches it, every peer set grows, and a replica there answers by name', async (t) => {
  const name = uniqueStack('f');
  const three = webApi(name, { hostNames: ['h1', 'h2', 'h3'] });
  const extra = service('edge', {
    image: IMAGE,
    command: ['sh', '-c', 'echo edge > /index.html && exec httpd -f -p 8080 -h /'],
    stopGracePeriodNs: 1e9,
    deploy: { constraints: onHost('h4') },
  });
  const four = webApi(name, { hostNames: ['h1', 'h2', 'h3', 'h4'], extra: [extra] });
  cleanupVx(t, four);
  t.true((await deploy(three)).result?.ok);
  const vni = await vniOf('h1', `${name}_default`);
  t.deepEqual(devicesOn('h1')[deviceName(vni)], [ipOf('h2'), ipOf('h3')].sort());
  const second = await deploy(four);
  t.true(second.result?.ok, JSON.stringify(second.result?.failures));
  t.deepEqual(
    second.plan.operations.filter((o) => o.kind === 'overlay.program').map((o) => o.host),
    ['h1', 'h2', 'h3', 'h4'],
  );
  t.is(await vniOf('h4', `${name}_default`), vni);
  for (const h of ['h1', 'h2', 'h3', 'h4'])
    t.deepEqual(
      devicesOn(h)[deviceName(vni)],
      ['h1', 'h2', 'h3', 'h4']
        .filter((x) => x !== h)
        .map(ipOf)
        .sort(),
      `peers on ${h}`,
    );
  t.is(
    (
      await eventually(
        async () => {
          const r = await exec('h1', `${name}-web-1`, ['sh', '-c', 'timeout 5 wget -qO- http://edge:8080/']);
          return r.exitCode === 0 && r;
        },
        20_000,
        'edge on h4 by name',
      )
    ).output.trim(),
    'edge',
  );
});

test('removing a network leaves no device, bridge network, lease or name', async (t) => {
  const name = uniqueStack('r');
  const side = service('side', {
    image: IMAGE,
    command: ['sleep', '3600'],
    stopGracePeriodNs: 1e9,
    networks: { default: { aliases: [] }, side: { aliases: [] } },
    deploy: { constraints: onHost('h2') },
  });
  const withSide = vxDesired(name, [side], {
    networks: { default: overlayNetwork('default', name), side: overlayNetwork('side', name) },
  });
  const without = vxDesired(name, [service('side', { ...side, networks: { default: { aliases: [] } } })]);
  cleanupVx(t, without);
  t.true((await deploy(withSide)).result?.ok);
  const vni = await vniOf('h2', `${name}_side`);
  t.truthy(devicesOn('h3')[deviceName(vni)]);
  t.true((await store().list(`${KV_ROOT}networks/${name}/side/`)).length > 0);
  const removed = await deploy(without);
  t.true(removed.result?.ok, JSON.stringify(removed.result?.failures));
  for (const h of ['h1', 'h2', 'h3']) {
    t.false(
      (await docker(h).listNetworks()).some((n) => n.Name === `${name}_side`),
      `no bridge network on ${h}`,
    );
    t.is<string[] | undefined, undefined>(devicesOn(h)[deviceName(vni)], undefined, `no device on ${h}`);
  }
  const kv = await store().list(KV_ROOT);
  t.false(
    kv.some((e) => e.key.startsWith(`${KV_ROOT}networks/${name}/side/`)),
    'no lease',
  );
  t.false(
    kv.some((e) => e.value === `${name}/side`),
    'VNI and subnet back in the pool',
  );
  t.deepEqual(await store().service(catalogService(name, 'side')), []);
  // The remaining network is untouched.
  t.truthy(devicesOn('h2')[deviceName(await vniOf('h2', `${name}_default`))]);
});

test('two applies of stacks with new networks at the same time get distinct VNIs and subnets', async (t) => {
  const names = [uniqueStack('c'), uniqueStack('d')];
  const ds = names.map((n) =>
    vxDesired(n, [
      service('one', {
        image: IMAGE,
        command: ['sleep', '3600'],
        stopGracePeriodNs: 1e9,
        deploy: { constraints: onHost('h1') },
      }),
    ]),
  );
  for (const d of ds) cleanupVx(t, d);
  const results = await Promise.all(ds.map((d) => deploy(d)));
  for (const r of results) t.true(r.result?.ok, JSON.stringify(r.result?.failures));
  const nets = await Promise.all(names.map((n) => docker('h2').getNetwork(`${n}_default`).inspect()));
  t.not(nets[0].Labels![Labels.overlayVni], nets[1].Labels![Labels.overlayVni]);
  t.not(nets[0].IPAM!.Config![0].Subnet, nets[1].IPAM!.Config![0].Subnet);
});

test('a device deleted by hand: plan --refresh shows it, apply repairs it, traffic flows again', async (t) => {
  const name = uniqueStack('h');
  const d = webApi(name);
  cleanupVx(t, d);
  t.true((await deploy(d)).result?.ok);
  const vni = await vniOf('h2', `${name}_default`);
  deleteDevice('h2', deviceName(vni));
  t.deepEqual((await planStack(d)).plan.operations, [], 'without --refresh nothing is seen');
  const planned = await planStack(d, { refresh: true });
  t.deepEqual(
    planned.plan.operations.map((o) => [o.id, o.cause]),
    [['h2 program overlay ' + `${name}_default`, `VXLAN device ${deviceName(vni)} is missing`]],
  );
  t.true((await applyPlanned(d, planned)).ok);
  t.deepEqual(devicesOn('h2')[deviceName(vni)], [ipOf('h1'), ipOf('h3')].sort());
  const onH2 = (await apiReplicas(name)).find((r) => r.host === 'h2')!;
  t.is(
    (
      await eventually(
        async () => {
          const r = await exec('h1', `${name}-web-1`, ['sh', '-c', `timeout 5 wget -qO- http://${onH2.ip}:8080/`]);
          return r.exitCode === 0 && r;
        },
        20_000,
        'api on h2 again',
      )
    ).output.trim(),
    onH2.hostname,
  );
  t.deepEqual((await planStack(d, { refresh: true })).plan.operations, []);
});

test('Consul unreachable: the plan is an error and no host is touched', async (t) => {
  const name = uniqueStack('u');
  const d = webApi(name);
  d.settings.consul = `http://${ipOf('h1').replace(/\.\d+$/, '.2')}:1`;
  const { plan } = await planStack(d);
  t.regex(
    plan.diagnostics
      .filter((x) => x.severity === 'error')
      .map((x) => x.summary)
      .join('\n'),
    /Consul-backed overlay: Consul at http:\/\/[\d.]+:1 is unreachable/,
  );
  await t.throwsAsync(deploy(d), { message: /unreachable/ });
  for (const h of ['h1', 'h2', 'h3'])
    t.deepEqual(
      (await docker(h).listContainers({ all: true, filters: { label: [`${Labels.stack}=${name}`] } })).length +
        (await docker(h).listNetworks({ filters: { label: [`${Labels.stack}=${name}`] } })).length,
      0,
    );
});
