/**
 * What the planner does with each host's negotiated Engine API version (observed): all networks at create on API
 * 1.44 and newer, create + connect on older hosts; keys that need a newer API (healthcheck.start_interval 1.44,
 * volume.subpath 1.45, networks.<net>.gw_priority 1.48, .mac_address 1.44, .interface_name 1.49) in the body on hosts that speak it, refused before any
 * write on hosts that do not, naming the host, its version and the version needed.
 */
import test from 'ava';
import { reconcile, planText } from '../../../src/plan/index.js';
import { parseApiVersion } from '../../../src/docker/api-version.js';
import type { DesiredState, ServiceSpec } from '../../../src/stack/types.js';
import type { ObservedState } from '../../../src/observe/types.js';
import { desired, network, observedEmpty, paramsOf, service } from './helpers.js';

const on = (h: string) => ({
  constraints: [{ field: 'node.hostname', op: '==' as const, value: h, text: `node.hostname == ${h}` }],
});

/** The observed state with each named host speaking the given API (the others: none observed, i.e. 1.41). */
function observedAt(d: DesiredState, apis: Record<string, string>): ObservedState {
  const o = observedEmpty(d);
  for (const [host, api] of Object.entries(apis)) {
    const v = parseApiVersion(api)!;
    o.hosts[host].version = { engine: v.minor >= 44 ? '28.5.2' : '20.10.24', serverApi: v, api: v };
  }
  return o;
}

/** web on `host`, on the default network and `back`. */
function twoNetworks(host: string, over: Partial<ServiceSpec> = {}): DesiredState {
  const web = service('web', {
    networks: { default: { aliases: [] }, back: { aliases: ['web-back'] } },
    deploy: on(host),
    ...over,
  });
  return desired([web], { networks: { default: network('default'), back: network('back') } });
}

const errors = (o: { diagnostics: { severity: string; summary: string }[] }) =>
  o.diagnostics.filter((d) => d.severity === 'error').map((d) => d.summary);

test('on API 1.44 and newer a container takes all its networks at create: one call, no connect', (t) => {
  const d = twoNetworks('h1');
  const plan = reconcile(d, observedAt(d, { h1: '1.51' }));
  t.deepEqual(errors(plan), []);
  t.deepEqual(
    plan.operations.filter((o) => o.host === 'h1' && o.kind.startsWith('network.connect')),
    [],
  );
  const create = plan.operations.find((o) => o.kind === 'container.create')!;
  const endpoints = paramsOf(create).body.NetworkingConfig.EndpointsConfig;
  t.deepEqual(Object.keys(endpoints), ['app_back', 'app_default']);
  t.deepEqual(endpoints.app_back.Aliases, ['web', 'web-back']);
  t.is(paramsOf(create).body.HostConfig.NetworkMode, 'app_back');
  const start = plan.operations.find((o) => o.kind === 'container.start')!;
  t.true(start.deps.includes(create.id));
});

test('on API 1.41 (Engine 20.10, or a host whose version was not observed) the create takes one network, then connect', (t) => {
  for (const apis of [{ h1: '1.41' }, {}] as Record<string, string>[]) {
    const d = twoNetworks('h1');
    const plan = reconcile(d, observedAt(d, apis));
    const create = plan.operations.find((o) => o.kind === 'container.create')!;
    t.deepEqual(Object.keys(paramsOf(create).body.NetworkingConfig.EndpointsConfig), ['app_back']);
    const connects = plan.operations.filter((o) => o.kind === 'network.connect');
    t.deepEqual(
      connects.map((o) => [o.host, paramsOf(o).network, o.deps]),
      [['h1', 'app_default', [create.id]]],
    );
  }
});

test('the plan text and its changes are the same whatever the version: only the number of operations differs', (t) => {
  const d = twoNetworks('h1');
  const older = reconcile(d, observedAt(d, { h1: '1.41' }));
  const newer = reconcile(d, observedAt(d, { h1: '1.51' }));
  t.is(planText(newer), planText(older).replace('(6 operations)', '(5 operations)'));
  t.deepEqual(newer.changes, older.changes);
  t.is(newer.operations.length, older.operations.length - 1);
});

test('a mixed inventory: each host planned at its own version', (t) => {
  const web = service('web', {
    networks: { default: { aliases: [] }, back: { aliases: [] } },
    deploy: { replicas: 2, constraints: [] },
  });
  const d = desired([web], { networks: { default: network('default'), back: network('back') } });
  d.hosts = d.hosts.slice(0, 2);
  const plan = reconcile(d, observedAt(d, { h1: '1.51', h2: '1.41' }));
  t.deepEqual(errors(plan), []);
  t.deepEqual(
    plan.operations.filter((o) => o.kind === 'network.connect').map((o) => o.host),
    ['h2'],
  );
});

const NEWER_KEYS: {
  key: string;
  api: string;
  needs: string;
  over: Partial<ServiceSpec>;
  inBody: (b: any) => unknown;
}[] = [
  {
    key: 'healthcheck.start_interval',
    api: '1.44',
    needs: 'API 1.44 (Engine 25.0)',
    over: { healthcheck: { test: ['CMD', 'true'], startPeriodNs: 30e9, startIntervalNs: 1e9 } },
    inBody: (b) => b.Healthcheck.StartInterval,
  },
  {
    key: 'volumes[0].volume.subpath',
    api: '1.45',
    needs: 'API 1.45 (Engine 26.0)',
    over: {
      mounts: [
        { type: 'volume', source: 'data', target: '/data', readOnly: false, volume: { nocopy: false, subpath: 'web' } },
      ],
    },
    inBody: (b) => b.HostConfig.Mounts[0].VolumeOptions,
  },
  {
    key: 'networks.back.gw_priority',
    api: '1.48',
    needs: 'API 1.48 (Engine 28.0)',
    over: { networks: { default: { aliases: [] }, back: { aliases: [], gwPriority: 10 } } },
    inBody: (b) => b.NetworkingConfig.EndpointsConfig.app_back.GwPriority,
  },
  {
    key: 'networks.back.mac_address',
    api: '1.44',
    needs: 'API 1.44 (Engine 25.0)',
    over: { networks: { default: { aliases: [] }, back: { aliases: [], macAddress: '02:42:ac:11:00:02' } } },
    inBody: (b) => b.NetworkingConfig.EndpointsConfig.app_back.MacAddress,
  },
  {
    key: 'networks.back.interface_name',
    api: '1.49',
    needs: 'API 1.49 (Engine 28.1)',
    over: { networks: { default: { aliases: [] }, back: { aliases: [], interfaceName: 'back0' } } },
    inBody: (b) => b.NetworkingConfig.EndpointsConfig.app_back.DriverOpts['com.docker.network.endpoint.ifname'],
  },
];

function withKey(over: Partial<ServiceSpec>, replicas = 1): DesiredState {
  const web = service('web', {
    networks: { default: { aliases: [] } },
    ...over,
    deploy: { replicas, constraints: [] },
  });
  return desired([web], {
    networks: { default: network('default'), back: network('back') },
    volumes: { data: { key: 'data', name: 'app_data', driver: 'local', driverOpts: {}, external: false, labels: {} } },
  });
}

for (const k of NEWER_KEYS) {
  test(`${k.key} reaches the create body on a host at API ${k.api}`, (t) => {
    const d = withKey(k.over);
    d.hosts = d.hosts.slice(0, 1);
    const plan = reconcile(d, observedAt(d, { h1: k.api }));
    t.deepEqual(errors(plan), []);
    const create = plan.operations.find((o) => o.kind === 'container.create')!;
    t.truthy(k.inBody(paramsOf(create).body));
  });

  test(`${k.key} is refused before any write on a host older than API ${k.api}, naming it`, (t) => {
    const d = withKey(k.over, 2);
    d.hosts = d.hosts.slice(0, 2);
    const older = `1.${parseApiVersion(k.api)!.minor - 1}`;
    const plan = reconcile(d, observedAt(d, { h1: '1.51', h2: older }));
    const path = `services.web.${k.key}`;
    const refused = plan.diagnostics.filter((x) => x.severity === 'error');
    t.is(refused.length, 1);
    t.is(refused[0].summary, `service web: ${k.key} needs ${k.needs} or newer; h2 (API ${older}) speaks an older one`);
    t.is(refused[0].where?.path, path);
    t.regex(refused[0].hint ?? '', /upgrade the Engine on that host/);
  });
}

test('a host whose version was not observed counts as API 1.41: a newer key is refused there', (t) => {
  const d = withKey(NEWER_KEYS[0].over);
  d.hosts = d.hosts.slice(0, 1);
  const plan = reconcile(d, observedEmpty(d));
  t.deepEqual(errors(plan), [
    'service web: healthcheck.start_interval needs API 1.44 (Engine 25.0) or newer; h1 (API 1.41) speaks an older one',
  ]);
});
