/**
 * Networks in the planner: an overlay network is created once through one host and seen by all; the cluster
 * store readiness check; replacing a network with the containers attached to it; overlapping subnets;
 * external networks. Golden plans where the text matters.
 */
import test from 'ava';
import { reconcile, planText } from '../../../src/plan/index.js';
import { observeNeeds } from '../../../src/observe/index.js';
import { overlayShownBy, parseNetwork } from '../../../src/observe/networks.js';
import { networkCreateBody } from '../../../src/plan/engine.js';
import { networkConfig } from '../../../src/plan/network-config.js';
import { Labels, ContainerLabels } from '../../../src/labels.js';
import type { DesiredState, NetworkSpec } from '../../../src/stack/types.js';
import type { ObservedState } from '../../../src/observe/types.js';
import { desired, observedEmpty, paramsOf, service, simulate, network } from './helpers.js';
import { goldenPlan } from './golden.js';

const on = (h: string) => ({
  constraints: [{ field: 'node.hostname', op: '==' as const, value: h, text: `node.hostname == ${h}` }],
});

/** web on h1, api on h2, db on h3, all on one overlay network `back`. */
function threeTier(back: Partial<NetworkSpec> = {}): DesiredState {
  const svc = (name: string, host: string) =>
    service(name, { networks: { back: { aliases: [`${name}-alias`] } }, deploy: on(host) });
  return desired([svc('web', 'h1'), svc('api', 'h2'), svc('db', 'h3')], {
    networks: { back: network('back', 'app', { driver: 'overlay', ...back }) },
  });
}

const errors = (o: { diagnostics: { severity: string; summary: string }[] }) =>
  o.diagnostics.filter((d) => d.severity === 'error').map((d) => d.summary);

test('an overlay network is created once, through the first ready host, and shown once under all hosts', (t) => {
  const d = threeTier();
  const plan = reconcile(d, observedEmpty(d));
  goldenPlan(t, 'overlay-create-once', plan, { operations: true });
  const creates = plan.operations.filter((o) => o.kind === 'network.create');
  t.deepEqual(
    creates.map((o) => o.id),
    ['h1 create network app_back'],
  );
  t.deepEqual(
    plan.changes.filter((c) => c.type === 'network').map((c) => [c.host, c.allHosts]),
    [['h1', true]],
  );
  // containers on every host wait for that one create
  for (const name of ['app-web-1', 'app-api-1', 'app-db-1'])
    t.true(
      plan.operations
        .find((o) => paramsOf(o).name === name && o.kind === 'container.create')!
        .deps.includes('h1 create network app_back'),
    );
  // after the apply every host sees it, as one network: nothing left to do
  const after = simulate(plan, observedEmpty(d));
  t.deepEqual(
    Object.values(after.hosts).map((h) => h.networks.map((n) => n.name)),
    [['app_back'], ['app_back'], ['app_back']],
  );
  t.deepEqual(reconcile(d, after).operations, []);
});

test('the creating host is the first ready one: an unreachable first host is skipped', (t) => {
  const d = threeTier();
  d.services.web.deploy.constraints = [];
  const o = observedEmpty(d);
  o.hosts.h1.error = 'connect ECONNREFUSED';
  const plan = reconcile(d, o);
  t.deepEqual(
    plan.operations.filter((x) => x.kind === 'network.create').map((x) => x.host),
    ['h2'],
  );
});

test('a global network listed by every host is removed once, after the containers on every host', (t) => {
  const d = threeTier();
  const o = simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
  const plan = reconcile(d, o, { destroy: true });
  const removes = plan.operations.filter((x) => x.kind === 'network.remove');
  t.deepEqual(
    removes.map((x) => x.id),
    ['h1 remove network app_back'],
  );
  t.deepEqual([...removes[0].deps].sort(), ['h1 remove app-web-1', 'h2 remove app-api-1', 'h3 remove app-db-1']);
  t.is(
    planText(plan)
      .split('\n')
      .filter((l) => l.includes('network app_back')).length,
    1,
  );
});

test('overlay readiness (x-stack.overlay engine): one error names each host that lacks a cluster store and what its daemon.json lacks', (t) => {
  const d = threeTier();
  // With auto, such hosts get stack's own overlay instead (test/unit/overlay/plan.test.ts).
  d.settings.overlay = 'engine';
  const o = observedEmpty(d);
  o.hosts.h2.engine = { clusterStore: '', clusterAdvertise: '' };
  o.hosts.h3.engine = { clusterStore: 'etcd://10.77.0.2:2379', clusterAdvertise: '' };
  const plan = reconcile(d, o);
  t.deepEqual(errors(plan), [
    `overlay network back needs the daemons' cluster store on every host; not ready: h2 (daemon.json lacks "cluster-store" and "cluster-advertise"), h3 (daemon.json lacks "cluster-advertise")`,
  ]);
  const diag = plan.diagnostics.find((x) => x.severity === 'error')!;
  t.is(diag.where?.path, 'networks.back.driver');
  t.regex(diag.hint!, /deploy\/engine\/daemon\.json/);
});

test('overlay readiness: hosts on different cluster stores are refused, naming the stores and hosts', (t) => {
  const d = threeTier();
  const o = observedEmpty(d);
  o.hosts.h3.engine = { clusterStore: 'consul://10.0.0.9:8500', clusterAdvertise: 'h3:2376' };
  t.deepEqual(errors(reconcile(d, o)), [
    'the hosts use different cluster stores, so an overlay network would not span them: etcd://10.77.0.2:2379 (h1, h2), consul://10.0.0.9:8500 (h3)',
  ]);
});

test('a stack without overlay networks needs no cluster store and no Engine info', (t) => {
  const d = desired([service('web')]);
  const o = observedEmpty(d);
  for (const h of Object.values(o.hosts)) delete h.engine;
  t.deepEqual(errors(reconcile(d, o)), []);
  t.deepEqual(observeNeeds(d), { engineInfo: false, infoAhead: false });
  t.deepEqual(observeNeeds(threeTier()), { engineInfo: true, infoAhead: false });
  t.deepEqual(observeNeeds(threeTier(), true), { engineInfo: false, infoAhead: false });
  t.deepEqual(observeNeeds(threeTier(), false, true), { engineInfo: true, infoAhead: true }, 'cold: /info ahead');
  t.deepEqual(observeNeeds(threeTier(), true, true), { engineInfo: false, infoAhead: false }, 'a destroy asks none');
  t.deepEqual(observeNeeds(d, false, true), { engineInfo: false, infoAhead: false }, 'no overlay: none ahead either');
  t.deepEqual(observeNeeds(threeTier({ ipam: { config: [{ subnet: '10.20.0.0/24' }] } })), {
    engineInfo: true,
    infoAhead: false,
  });
  const ext = desired([service('web')], {
    networks: {
      default: network('default'),
      shared: network('shared', 'app', { name: 'shared', external: true, driver: '' }),
    },
  });
  t.deepEqual(observeNeeds(ext), { engineInfo: false, infoAhead: false });
  const consul = threeTier();
  t.deepEqual(observeNeeds({ ...consul, settings: { ...consul.settings, overlay: 'consul' } }), {
    engineInfo: false,
    infoAhead: false,
  });
  const o2 = observedEmpty(threeTier());
  delete o2.hosts.h2.engine;
  t.regex(errors(reconcile(threeTier(), o2))[0], /h2 \(its Engine info was not observed\)/);
});

test("x-stack.overlay: consul is stack's own overlay (src/overlay/): no cluster store needed, but Consul's state", (t) => {
  const d = threeTier();
  d.settings.overlay = 'consul';
  const o = observedEmpty(d);
  for (const h of Object.values(o.hosts)) delete h.engine;
  t.deepEqual(errors(reconcile(d, o)), ['Consul-backed overlay: its state was not observed']);
});

test('the Engine create body carries ipam, driver_opts, internal, attachable, labels and the config hash', (t) => {
  const n = network('back', 'app', {
    driver: 'overlay',
    driverOpts: { encrypted: 'true' },
    internal: true,
    attachable: true,
    labels: { team: 'a' },
    ipam: { config: [{ subnet: '10.20.0.0/24', gateway: '10.20.0.1', ipRange: '10.20.0.128/25' }] },
  });
  const body = networkCreateBody('app', n);
  t.like(body, {
    Name: 'app_back',
    Driver: 'overlay',
    Options: { encrypted: 'true' },
    Internal: true,
    Attachable: true,
    CheckDuplicate: true,
  });
  t.deepEqual(body.IPAM, {
    Driver: 'default',
    Config: [{ Subnet: '10.20.0.0/24', Gateway: '10.20.0.1', IPRange: '10.20.0.128/25' }],
  });
  t.is(body.Labels!.team, 'a');
  t.is(body.Labels![Labels.configHash], networkConfig(n).hash);
  t.deepEqual(JSON.parse(body.Labels![ContainerLabels.config]), networkConfig(n).config);
  // the hash ignores the name and defaults written out
  t.is(networkConfig({ ...n, name: 'other' }).hash, networkConfig(n).hash);
  t.not(networkConfig({ ...n, internal: false }).hash, networkConfig(n).hash);
});

function applied(d: DesiredState): ObservedState {
  return simulate(reconcile(d, observedEmpty(d)), observedEmpty(d));
}

/** The file's `back` network as a host lists it: the engine's overlay, or stack's own (a bridge with a VNI label). */
const listed = (kind: 'engine' | 'own', key = 'back') =>
  parseNetwork({
    Id: `id-${key}`,
    Name: `app_${key}`,
    Driver: kind === 'engine' ? 'overlay' : 'bridge',
    Scope: kind === 'engine' ? 'global' : 'local',
    Labels: { [Labels.network]: key, ...(kind === 'own' ? { [Labels.overlayVni]: '256' } : {}) },
  });

test("what a host's own networks show decides when GET /info is needed", (t) => {
  const d = threeTier();
  const consul = { ...d, settings: { ...d.settings, overlay: 'consul' as const } };
  const engine = { ...d, settings: { ...d.settings, overlay: 'engine' as const } };
  t.is(overlayShownBy(d, [listed('engine')]), 'engine');
  t.is(overlayShownBy(engine, [listed('engine')]), 'engine');
  t.is(overlayShownBy(d, [listed('own')]), 'own', 'auto keeps the overlay the network has');
  t.is(overlayShownBy(engine, [listed('own')]), undefined, 'engine asked for over own networks: /info decides');
  t.is(overlayShownBy(consul, [listed('own')]), undefined, 'consul: observeNeeds asks no /info at all');
  t.is(overlayShownBy(d, []), undefined, 'the network is missing');
  t.is(overlayShownBy(d, [{ ...listed('own'), labels: { [Labels.network]: 'back' } }]), undefined, 'a plain bridge');
  const two = threeTier();
  two.networks.front = network('front', 'app', { driver: 'overlay' });
  t.is(overlayShownBy(two, [listed('engine'), listed('own', 'front')]), undefined, 'two kinds');
  t.is(overlayShownBy(two, [listed('engine'), listed('engine', 'front')]), 'engine');
  t.is(overlayShownBy(desired([service('web')]), [listed('engine')]), undefined, 'no overlay network');
});

test('an applied engine overlay observed without /info: nothing to do, no readiness error; unobserved hosts still are one', (t) => {
  const d = threeTier();
  const o = applied(d);
  for (const h of Object.values(o.hosts)) {
    delete h.engine;
    h.overlayShown = 'engine';
  }
  const plan = reconcile(d, o);
  t.deepEqual(errors(plan), []);
  t.deepEqual(plan.operations, []);
  delete o.hosts.h3.overlayShown;
  t.regex(errors(reconcile(d, o)).join(), /not ready: h3 \(its Engine info was not observed\)/);
});

test('a changed overlay network is replaced with the containers attached to it, in DAG order', (t) => {
  const before = threeTier();
  const o = applied(before);
  const after = threeTier({ internal: true });
  const plan = reconcile(after, o);
  goldenPlan(t, 'overlay-replace', plan, { operations: true });
  t.deepEqual(
    plan.changes.map((c) => `${c.action} ${c.name}`),
    ['replace app_back', 'replace app-api-1', 'replace app-db-1', 'replace app-web-1'],
  );
  t.deepEqual(plan.changes[0].fields, [{ path: 'internal', before: undefined, after: true }]);
  const op = (id: string) => plan.operations.find((x) => x.id === id)!;
  t.deepEqual([...op('h1 remove network app_back').deps].sort(), [
    'h1 remove app-web-1',
    'h2 remove app-api-1',
    'h3 remove app-db-1',
  ]);
  t.deepEqual(op('h1 create network app_back').deps, ['h1 remove network app_back']);
  t.true(op('h2 create app-api-1').deps.includes('h1 create network app_back'));
  t.true(op('h2 create app-api-1').deps.includes('h2 remove app-api-1'));
  t.deepEqual(op('h2 remove app-api-1').deps, ['h2 stop app-api-1']);
  t.is(plan.operations.filter((x) => x.kind === 'network.create').length, 1);
  // applied, nothing is left to do
  t.deepEqual(reconcile(after, simulate(plan, o)).operations, []);
});

test('a changed bridge network is replaced on each host with the containers there', (t) => {
  const d = desired([service('web', { deploy: { mode: 'global' } })]);
  const o = applied(d);
  const d2 = desired([service('web', { deploy: { mode: 'global' } })], {
    networks: { default: network('default', 'app', { driverOpts: { 'com.docker.network.driver.mtu': '1400' } }) },
  });
  const plan = reconcile(d2, o);
  t.deepEqual(
    plan.changes.filter((c) => c.type === 'network').map((c) => `${c.action} ${c.host} ${c.allHosts ?? false}`),
    ['replace h1 false', 'replace h2 false', 'replace h3 false'],
  );
  t.deepEqual(plan.operations.find((x) => x.id === 'h2 create network app_default')!.deps, [
    'h2 remove network app_default',
  ]);
  t.deepEqual(reconcile(d2, simulate(plan, o)).operations, []);
});

test('a replaced network no container uses is still created again; one without a hash label is left alone', (t) => {
  const d = threeTier();
  const o = applied(d);
  const unused = desired([], { networks: { back: network('back', 'app', { driver: 'overlay', internal: true }) } });
  const plan = reconcile(unused, o);
  t.deepEqual(
    plan.operations.filter((x) => x.kind.startsWith('network')).map((x) => x.id),
    ['h1 remove network app_back', 'h1 create network app_back'],
  );
  for (const h of Object.values(o.hosts)) for (const n of h.networks) delete n.configHash;
  t.deepEqual(reconcile(threeTier({ internal: true }), o).operations, []);
});

test('a network no longer in the file is removed after the containers attached to it', (t) => {
  const d = threeTier();
  const o = applied(d);
  const d2 = desired([service('web', { deploy: on('h1') })]);
  const plan = reconcile(d2, o);
  const rm = plan.operations.find((x) => x.kind === 'network.remove')!;
  t.is(rm.id, 'h1 remove network app_back');
  // web is replaced by a rolling update: its old container, kept until the rollout completes, is the one attached
  t.deepEqual([...rm.deps].sort(), ['h1 remove app-web-1_kept', 'h2 remove app-api-1', 'h3 remove app-db-1']);
});

test('overlapping subnets among the stack networks, and with existing networks, are errors naming both', (t) => {
  const d = desired([service('web', { networks: { a: { aliases: [] }, b: { aliases: [] } } })], {
    networks: {
      a: network('a', 'app', { driver: 'overlay', ipam: { config: [{ subnet: '10.20.0.0/16' }] } }),
      b: network('b', 'app', { ipam: { config: [{ subnet: '10.20.5.0/24' }] } }),
    },
  });
  const o = observedEmpty(d);
  const foreign = parseNetwork({
    Id: 'x',
    Name: 'other_net',
    Driver: 'overlay',
    Scope: 'global',
    IPAM: { Config: [{ Subnet: '10.20.9.0/24' }] },
  });
  o.hosts.h1.foreignNetworks = [foreign];
  o.hosts.h2.foreignNetworks = [foreign];
  o.hosts.h3.foreignNetworks = [
    parseNetwork({
      Id: 'y',
      Name: 'bridge',
      Driver: 'bridge',
      Scope: 'local',
      IPAM: { Config: [{ Subnet: '172.17.0.0/16' }] },
    }),
  ];
  const plan = reconcile(d, o);
  goldenPlan(t, 'subnet-overlap', plan);
  t.deepEqual(errors(plan), [
    'networks a (10.20.0.0/16) and b (10.20.5.0/24) have overlapping subnets',
    'network a: subnet 10.20.0.0/16 overlaps existing network other_net (10.20.9.0/24) on h1, h2',
  ]);
});

test('a stack network keeps its own subnet: no overlap with itself once created', (t) => {
  const d = threeTier({ ipam: { config: [{ subnet: '10.30.0.0/24' }] } });
  const o = applied(d);
  for (const h of Object.values(o.hosts)) h.foreignNetworks = [];
  t.deepEqual(errors(reconcile(d, o)), []);
  t.deepEqual(reconcile(d, o).operations, []);
});

test('malformed subnets, a gateway or ip_range outside the subnet are errors', (t) => {
  const d = desired([service('web')], {
    networks: {
      default: network('default', 'app', {
        ipam: {
          config: [
            { subnet: '10.40.0.0/33' },
            { subnet: '10.41.0.0/24', gateway: '10.42.0.1', ipRange: '10.41.1.0/25' },
            { subnet: 'fd00:1::/64', gateway: 'fd00:1::1' },
          ],
        },
      }),
    },
  });
  const o = observedEmpty(d);
  for (const h of Object.values(o.hosts)) h.foreignNetworks = [];
  t.deepEqual(errors(reconcile(d, o)), [
    'network default: subnet "10.40.0.0/33" is not a CIDR block',
    'network default: gateway "10.42.0.1" is not an address in subnet 10.41.0.0/24',
    'network default: ip_range "10.41.1.0/25" is not a CIDR block inside subnet 10.41.0.0/24',
  ]);
});

function withExternal(): DesiredState {
  return desired([service('web', { networks: { shared: { aliases: [] } }, deploy: { mode: 'global' } })], {
    networks: { shared: network('shared', 'app', { name: 'corp-net', external: true, driver: '' }) },
  });
}

test('an external network is used, never created or removed', (t) => {
  const d = withExternal();
  const o = observedEmpty(d);
  const corp = parseNetwork({ Id: 'c', Name: 'corp-net', Driver: 'overlay', Scope: 'global' });
  for (const h of Object.values(o.hosts)) h.foreignNetworks = [corp];
  const plan = reconcile(d, o);
  goldenPlan(t, 'external-network', plan, { operations: true });
  t.deepEqual(errors(plan), []);
  t.false(plan.operations.some((x) => x.kind.startsWith('network.')));
  t.is(
    (plan.operations.find((x) => x.kind === 'container.create')!.params.body as any).HostConfig.NetworkMode,
    'corp-net',
  );
  const after = simulate(plan, o);
  const destroy = reconcile(d, after, { destroy: true });
  t.false(destroy.operations.some((x) => x.kind.startsWith('network.')));
});

test('an external network that does not exist is a plan-time error naming the hosts', (t) => {
  const d = withExternal();
  const o = observedEmpty(d);
  o.hosts.h1.foreignNetworks = [parseNetwork({ Id: 'c', Name: 'corp-net', Driver: 'bridge', Scope: 'local' })];
  o.hosts.h2.foreignNetworks = [];
  o.hosts.h3.foreignNetworks = [];
  const plan = reconcile(d, o);
  t.deepEqual(errors(plan), ['external network corp-net (networks.shared) does not exist on h2, h3']);
  t.regex(plan.diagnostics[0].hint!, /docker network create corp-net/);
});

test("the Engine's own bridge network as an external network: no aliases, and aliases asked for are an error", (t) => {
  const d = desired([service('web', { networks: { outside: { aliases: [] } } })], {
    networks: { outside: network('outside', 'app', { name: 'bridge', external: true, driver: '' }) },
  });
  const o = observedEmpty(d);
  for (const h of Object.values(o.hosts))
    h.foreignNetworks = [parseNetwork({ Id: `b-${h.name}`, Name: 'bridge', Driver: 'bridge', Scope: 'local' })];
  const plan = reconcile(d, o);
  t.deepEqual(errors(plan), []);
  t.deepEqual(
    (plan.operations.find((x) => x.kind === 'container.create')!.params.body as any).NetworkingConfig.EndpointsConfig,
    { bridge: { Aliases: [] } },
  );
  d.services.web.networks.outside.aliases = ['www'];
  t.deepEqual(errors(reconcile(d, o)), ['service web: aliases work only on user-defined networks, not on bridge']);
});
