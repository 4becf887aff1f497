import test from 'ava';
import { reconcile } from '../../../src/plan/reconcile.js';
import { Labels } from '../../../src/labels.js';
import { parseKv } from '../../../src/overlay/state.js';
import { chooseOverlay, clusterStores, underlayOf } from '../../../src/overlay/mode.js';
import { parseDeviceList, helperBody } from '../../../src/overlay/helper.js';
import type { DeviceInfo } from '../../../src/overlay/types.js';
import type { ObservedState } from '../../../src/observe/types.js';
import type { DesiredState } from '../../../src/stack/types.js';
import type { Plan } from '../../../src/plan/types.js';
import {
  desired as buildDesired,
  network,
  observedEmpty,
  paramsOf,
  service,
  simulate,
  IMAGE,
} from '../plan/helpers.js';
import { goldenPlan } from '../plan/golden.js';
import { planText } from '../../../src/plan/text.js';
import { endpointOf } from '../../helpers/endpoint.js';

/** The operator's helper image (the inventory's overlay.helper_image), pinned by digest. */
export const HELPER = `registry.example/busybox@sha256:${'a'.repeat(64)}`;

const hostList = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    name: `h${i + 1}`,
    endpoint: endpointOf(`tcp://10.0.0.${11 + i}:2376`),
    labels: {},
  }));

function stackOf(n = 3, over: Partial<DesiredState> = {}): DesiredState {
  return buildDesired([service('api', { deploy: { replicas: 2 } })], {
    hosts: hostList(n),
    settings: {
      hostConcurrency: 4,
      globalConcurrency: 16,
      overlay: 'auto',
      consul: 'http://10.0.0.2:8500',
      overlayHelperImage: HELPER,
    },
    networks: { default: network('default', 'app', { driver: 'overlay' }) },
    ...over,
  } as never);
}

const ALLOC = { stack: 'app', key: 'default', name: 'app_default', vni: 4096, subnet: '10.240.0.0/18', mtu: 1450 };
function kvEntries(hosts: string[], programmed = true, peersOf = (h: string) => hosts.filter((x) => x !== h)) {
  const ip = (h: string) => `10.0.0.${10 + Number(h.slice(1))}`;
  const e: [string, unknown][] = [['stack/overlay/networks/app/default/allocation', ALLOC]];
  for (const h of hosts) {
    const slot = Number(h.slice(1));
    e.push([
      `stack/overlay/networks/app/default/lease/${h}`,
      { host: h, slot, range: `10.240.${slot}.0/24`, gateway: `10.240.${slot}.1`, underlay: ip(h) },
    ]);
    e.push([`stack/overlay/networks/app/default/slot/${slot}`, h]);
    if (programmed)
      e.push([
        `stack/overlay/networks/app/default/programmed/${h}`,
        { host: h, vni: 4096, peers: peersOf(h).map(ip).sort() },
      ]);
  }
  return parseKv(
    e.map(([key, v], i) => ({ key, value: typeof v === 'string' ? v : JSON.stringify(v), modifyIndex: i + 1 })),
  );
}

function observed(d: DesiredState, over: Partial<NonNullable<ObservedState['overlay']>> = {}): ObservedState {
  const o = observedEmpty(d);
  for (const h of Object.values(o.hosts)) {
    h.images.push({ id: 'img', repoTags: [IMAGE], repoDigests: [] });
    h.engine = { clusterStore: '', clusterAdvertise: '' };
  }
  o.overlay = { consul: 'http://10.0.0.2:8500', kv: parseKv([]), registered: {}, ...over };
  return o;
}

/** What the daemons hold after the plan ran: bridge networks appear (the executor's overlay ops). */
function afterApply(plan: Plan, before: ObservedState): ObservedState {
  const o = simulate(plan, before);
  for (const op of plan.operations.filter((x) => x.kind === 'overlay.bridge')) {
    const p = op.params as { name: string; key: string };
    o.hosts[op.host].networks.push({
      id: `n-${op.host}`,
      name: p.name,
      driver: 'bridge',
      scope: 'local',
      key: p.key,
      labels: { [Labels.managed]: 'true', [Labels.stack]: 'app', [Labels.network]: p.key, [Labels.overlayVni]: '4096' },
    });
  }
  return o;
}

/** A device as the list helper reports it: VNI 4096, port 4789, MTU 1450 unless said otherwise. */
const dev = (local: string, peers: string[], over: Partial<DeviceInfo> = {}): DeviceInfo => ({
  vni: 4096,
  local,
  dstport: 4789,
  mtu: 1450,
  peers,
  ...over,
});
const ids = (p: Plan, kind?: string) => p.operations.filter((o) => !kind || o.kind === kind).map((o) => o.id);

test('a new network: one allocation, then per host the bridge and the helper; replicas wait for their host; DNS, search domain, catalog', (t) => {
  const d = stackOf();
  const plan = reconcile(d, observed(d));
  t.deepEqual(plan.diagnostics, []);
  t.deepEqual(plan.overlay, [
    { network: 'default', mode: 'consul', why: 'no cluster store on h1, h2, h3 (x-stack.overlay auto)' },
  ]);
  t.deepEqual(ids(plan, 'overlay.allocate'), ['h1 allocate overlay app_default']);
  t.deepEqual(plan.operations.find((o) => o.kind === 'overlay.allocate')!.params.hosts, {
    h1: '10.0.0.11',
    h2: '10.0.0.12',
    h3: '10.0.0.13',
  });
  t.deepEqual(ids(plan, 'overlay.bridge'), [
    'h1 create network app_default',
    'h2 create network app_default',
    'h3 create network app_default',
  ]);
  const program = plan.operations.filter((o) => o.kind === 'overlay.program');
  t.deepEqual(
    program.map((o) => [o.host, o.params.peers]),
    [
      ['h1', ['10.0.0.12', '10.0.0.13']],
      ['h2', ['10.0.0.11', '10.0.0.13']],
      ['h3', ['10.0.0.11', '10.0.0.12']],
    ],
  );
  t.false(
    plan.operations.some((o) => o.kind === 'network.create'),
    'no engine network create',
  );
  for (const c of plan.operations.filter((o) => o.kind === 'container.create')) {
    t.true(c.deps.includes(`${c.host} program overlay app_default`), `${c.id} waits for its host's overlay`);
    const body = c.params.body as any;
    t.deepEqual(body.HostConfig.Dns, ['10.0.0.2']);
    t.deepEqual(body.HostConfig.DnsSearch, ['app-default.service.consul']);
    t.deepEqual(
      body.NetworkingConfig.EndpointsConfig.app_default.Aliases,
      [],
      'no host-local alias shadows the catalog',
    );
  }
  const reg = plan.operations.filter((o) => o.kind === 'overlay.register');
  t.is(reg.length, 2);
  t.deepEqual(reg.map((r) => r.params.serviceId).sort(), ['app-api-1-default', 'app-api-2-default']);
  t.deepEqual(reg[0].params.tags, ['api']);
  t.true(reg.every((r) => r.deps[0] === `${r.host} start ${r.params.container}`));
});

test('allocated, programmed and registered: nothing to do', (t) => {
  const d = stackOf();
  const first = reconcile(d, observed(d));
  const after = afterApply(
    first,
    observed(d, {
      kv: kvEntries(['h1', 'h2', 'h3']),
      registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] },
    }),
  );
  const plan = reconcile(d, after);
  t.deepEqual(ids(plan), []);
});

test('a running replica missing from the catalog is registered again', (t) => {
  const d = stackOf();
  const after = afterApply(
    reconcile(d, observed(d)),
    observed(d, { kv: kvEntries(['h1', 'h2', 'h3']), registered: { 'app-default': ['app-api-1-default'] } }),
  );
  const plan = reconcile(d, after);
  t.deepEqual(
    plan.operations.map((o) => [o.kind, paramsOf(o).serviceId, o.cause]),
    [['overlay.register', 'app-api-2-default', 'running, but not in the catalog']],
  );
});

test('a fourth host: its lease, bridge and device, and new peers on the other three', (t) => {
  const d3 = stackOf(3);
  const after = afterApply(
    reconcile(d3, observed(d3)),
    observed(d3, {
      kv: kvEntries(['h1', 'h2', 'h3']),
      registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] },
    }),
  );
  const d4 = stackOf(4);
  const o4 = structuredClone(after);
  o4.hosts.h4 = {
    name: 'h4',
    containers: [],
    networks: [],
    volumes: [],
    images: [{ id: 'img', repoTags: [IMAGE], repoDigests: [] }],
    engine: { clusterStore: '', clusterAdvertise: '' },
  };
  const plan = reconcile(d4, o4);
  t.deepEqual(plan.operations.find((o) => o.kind === 'overlay.allocate')?.cause, 'host leases for h4');
  t.deepEqual(ids(plan, 'overlay.bridge'), ['h4 create network app_default']);
  const program = plan.operations.filter((o) => o.kind === 'overlay.program');
  t.deepEqual(
    program.map((o) => o.host),
    ['h1', 'h2', 'h3', 'h4'],
  );
  t.regex(program[0].cause, /^peers changed: 10\.0\.0\.12 10\.0\.0\.13 → 10\.0\.0\.12 10\.0\.0\.13 10\.0\.0\.14$/);
});

test('--refresh: a host whose device is gone is programmed again, the others are not', (t) => {
  const d = stackOf();
  const after = afterApply(
    reconcile(d, observed(d)),
    observed(d, {
      kv: kvEntries(['h1', 'h2', 'h3']),
      registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] },
    }),
  );
  after.overlay!.devices = {
    h1: { stvx4096: dev('10.0.0.11', ['10.0.0.12', '10.0.0.13']) },
    h2: {},
    h3: { stvx4096: dev('10.0.0.13', ['10.0.0.11', '10.0.0.12']) },
  };
  const plan = reconcile(d, after);
  t.deepEqual(ids(plan), ['h2 program overlay app_default']);
  t.is(plan.operations[0].cause, 'VXLAN device stvx4096 is missing');
  t.deepEqual(
    plan.changes.map((c) => [c.host, c.action, c.cause]),
    [['h2', 'update', 'consul overlay: VXLAN device stvx4096 is missing']],
  );
});

test('scaling down deregisters the replica before it stops', (t) => {
  const d = stackOf();
  const after = afterApply(
    reconcile(d, observed(d)),
    observed(d, {
      kv: kvEntries(['h1', 'h2', 'h3']),
      registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] },
    }),
  );
  for (const h of Object.values(after.hosts)) for (const c of h.containers) c.state = 'running';
  const plan = reconcile({ ...d, services: { api: service('api', { deploy: { replicas: 1 } }) } }, after);
  const dereg = plan.operations.find((o) => o.kind === 'overlay.deregister')!;
  t.deepEqual(dereg.params, { node: `stack-${dereg.host}`, serviceId: 'app-api-2-default' });
  const stop = plan.operations.find((o) => o.kind === 'container.stop')!;
  t.true(stop.deps.includes(dereg.id));
});

test('a removed network: bridge networks after their containers, then devices, then the leases', (t) => {
  const d = stackOf();
  const after = afterApply(
    reconcile(d, observed(d)),
    observed(d, {
      kv: kvEntries(['h1', 'h2', 'h3']),
      registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] },
    }),
  );
  const plan = reconcile(d, after, { destroy: true });
  const un = plan.operations.filter((o) => o.kind === 'overlay.unprogram');
  t.deepEqual(
    un.map((o) => [o.host, o.deps[0]]),
    [
      ['h1', 'h1 remove network app_default'],
      ['h2', 'h2 remove network app_default'],
      ['h3', 'h3 remove network app_default'],
    ],
  );
  const release = plan.operations.find((o) => o.kind === 'overlay.release')!;
  t.deepEqual(release.params, { stack: 'app', key: 'default' });
  for (const u of un) t.true(release.deps.includes(u.id));
  t.is(plan.operations.filter((o) => o.kind === 'overlay.deregister').length, 2);
});

test('Consul unreachable or unset: an error, and not one operation', (t) => {
  const d = stackOf();
  const plan = reconcile(
    d,
    observed(d, {
      kv: undefined,
      error: 'consul http://10.0.0.2:8500 is unreachable (GET /v1/kv/stack/overlay/): connect ECONNREFUSED',
    }),
  );
  t.deepEqual(
    plan.diagnostics.map((x) => [x.severity, x.summary]),
    [
      [
        'error',
        'Consul-backed overlay: consul http://10.0.0.2:8500 is unreachable (GET /v1/kv/stack/overlay/): connect ECONNREFUSED',
      ],
    ],
  );
  t.false(plan.operations.some((o) => o.kind.startsWith('overlay.')));
});

test('a unix-socket host without stack.underlay is an error that says what to do', (t) => {
  const d = stackOf(2, {
    hosts: [
      { name: 'h1', endpoint: endpointOf('unix:///run/docker.sock'), labels: {} },
      { name: 'h2', endpoint: endpointOf('tcp://10.0.0.12:2376'), labels: {} },
    ],
  });
  const plan = reconcile(d, observed(d));
  t.is(plan.diagnostics[0].summary, 'host h1: no underlay address for the overlay');
  t.regex(plan.diagnostics[0].hint!, /stack\.underlay=IP/);
  t.deepEqual(underlayOf({ name: 'x', endpoint: endpointOf('unix:///s'), labels: { 'stack.underlay': '10.1.1.1' } }), {
    address: '10.1.1.1',
  });
});

test('the choice: consul and engine settings win; auto picks the engine only when every daemon has a cluster store', (t) => {
  t.is(chooseOverlay('n', 'consul', { h1: true }, ['h1']).mode, 'consul');
  t.is(chooseOverlay('n', 'engine', { h1: false }, ['h1']).mode, 'engine');
  t.deepEqual(chooseOverlay('n', 'auto', { h1: true, h2: true }, ['h1', 'h2']), {
    network: 'n',
    mode: 'engine',
    why: 'every daemon has a cluster store (x-stack.overlay auto)',
  });
  t.deepEqual(chooseOverlay('n', 'auto', { h1: true, h2: false }, ['h1', 'h2']), {
    network: 'n',
    mode: 'consul',
    why: 'no cluster store on h2 (x-stack.overlay auto)',
  });
  t.is(chooseOverlay('n', 'auto', { h1: true }, ['h1', 'h2']).why, 'cluster stores not observed');
  const d = stackOf();
  const o = observed(d);
  for (const h of Object.values(o.hosts)) h.engine = { clusterStore: 'etcd://e', clusterAdvertise: `${h.name}:2376` };
  const plan = reconcile(d, o);
  t.false(plan.operations.some((x) => x.kind.startsWith('overlay.')));
  t.true(plan.operations.some((x) => x.kind === 'network.create' && (x.params.body as any).Driver === 'overlay'));
});

test("where /info was not asked, the overlay a host's networks show stands for its cluster store: auto keeps it", (t) => {
  const view = {
    hosts: {
      h1: { overlayShown: 'own' as const },
      h2: { engine: { clusterStore: 'etcd://e', clusterAdvertise: 'h2:2376' } },
      h3: { overlayShown: 'engine' as const },
      h4: {},
    },
  };
  t.deepEqual(clusterStores(view, ['h1', 'h2', 'h3', 'h4']), { h1: false, h2: true, h3: true, h4: undefined });
  t.is(chooseOverlay('n', 'auto', clusterStores(view, ['h1', 'h2']), ['h1', 'h2']).mode, 'consul');
  t.is(chooseOverlay('n', 'auto', clusterStores(view, ['h2', 'h3']), ['h2', 'h3']).mode, 'engine');
});

test('device lists parse: VNI, local address, port, MTU and flood destinations; what could not be read is left out', (t) => {
  t.deepEqual(
    parseDeviceList(
      'stvx4096 4096 10.0.0.11 4789 1450 10.0.0.13 10.0.0.12 \r\nstvx4097 4097 10.0.0.11 4789 1450 \nstvx9 - - - - \n',
      'h1',
    ),
    {
      stvx4096: { vni: 4096, local: '10.0.0.11', dstport: 4789, mtu: 1450, peers: ['10.0.0.12', '10.0.0.13'] },
      stvx4097: { vni: 4097, local: '10.0.0.11', dstport: 4789, mtu: 1450, peers: [] },
      stvx9: { peers: [] },
    },
  );
});

test('the helper container: host network, NET_ADMIN and SYS_CHROOT only, not privileged, the host root read-only at /host, labelled with its stack', (t) => {
  const body = helperBody(HELPER, { kind: 'list' }, 'app') as any;
  t.is(body.Image, HELPER);
  t.deepEqual(body.Cmd.slice(0, 4), ['chroot', '/host', '/bin/sh', '-c']);
  t.deepEqual(body.Cmd.slice(5), ['stack-helper']);
  t.deepEqual(body.Entrypoint, [], "the image's own entrypoint is not run");
  t.deepEqual(body.HostConfig, {
    NetworkMode: 'host',
    CapDrop: ['ALL'],
    CapAdd: ['NET_ADMIN', 'SYS_CHROOT'],
    Privileged: false,
    SecurityOpt: ['no-new-privileges'],
    ReadonlyRootfs: true,
    Binds: ['/:/host:ro'],
    AutoRemove: false,
  });
  t.deepEqual(body.Labels, {
    [Labels.managed]: 'true',
    [Labels.replaceRole]: 'overlay-helper',
    [Labels.overlayHelper]: 'app',
  });
  t.false(Labels.stack in body.Labels, 'not a container of the stack (observe would list it)');
  const owned = helperBody(HELPER, { kind: 'list' }, 'app', {
    id: '0f0e0d0c-0b0a-4908-8706-050403020100',
    state: 'Consul at http://10.0.0.2:8500',
  }) as any;
  t.is(
    owned.Labels[Labels.owner],
    '0f0e0d0c-0b0a-4908-8706-050403020100',
    'the helper carries the identity of the stack it runs for',
  );
  t.is(owned.Labels[Labels.ownerState], 'Consul at http://10.0.0.2:8500');
});

test('a replaced replica: the old one is deregistered before it stops, the new one registered after its rename', (t) => {
  const d = stackOf();
  const after = afterApply(
    reconcile(d, observed(d)),
    observed(d, {
      kv: kvEntries(['h1', 'h2', 'h3']),
      registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] },
    }),
  );
  for (const h of Object.values(after.hosts)) for (const c of h.containers) c.state = 'running';
  const changed = {
    ...d,
    services: { api: service('api', { environment: { RELEASE: 'v2' }, deploy: { replicas: 2 } }) },
  };
  const plan = reconcile(changed, after);
  for (const slot of ['1', '2']) {
    const stop = plan.operations.find((o) => o.kind === 'container.stop' && o.params.name === `app-api-${slot}`)!;
    const dereg = plan.operations.find(
      (o) => o.kind === 'overlay.deregister' && o.params.serviceId === `app-api-${slot}-default`,
    )!;
    t.true(stop.deps.includes(dereg.id));
    const rename = plan.operations.find(
      (o) => o.kind === 'container.rename' && o.params.newName === `app-api-${slot}`,
    )!;
    const reg = plan.operations.find(
      (o) => o.kind === 'overlay.register' && o.params.serviceId === `app-api-${slot}-default`,
    )!;
    t.deepEqual(reg.deps, [rename.id]);
    t.is(paramsOf(reg).container, `app-api-${slot}`);
  }
});

test('--refresh where the device list failed on a host: a warning naming the host, and no repair guessed', (t) => {
  const d = stackOf();
  const after = afterApply(
    reconcile(d, observed(d)),
    observed(d, {
      kv: kvEntries(['h1', 'h2', 'h3']),
      registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] },
    }),
  );
  after.overlay!.devices = {
    h1: { stvx4096: dev('10.0.0.11', ['10.0.0.12', '10.0.0.13']) },
    h2: 'host h2: overlay helper (list devices) exited 127: chroot: not found',
    h3: { stvx4096: dev('10.0.0.13', ['10.0.0.11', '10.0.0.12']) },
  };
  const plan = reconcile(d, after);
  t.deepEqual(plan.operations, []);
  t.deepEqual(
    plan.diagnostics.map((x) => [x.severity, x.summary]),
    [
      [
        'warning',
        'host h2: VXLAN devices could not be listed: host h2: overlay helper (list devices) exited 127: chroot: not found',
      ],
    ],
  );
});

test('an overlay operation without Consul fails before touching the host', async (t) => {
  const { runOverlayOperation } = await import('../../../src/apply/operations/overlay.js');
  const op = {
    id: 'h1 allocate overlay app_default',
    kind: 'overlay.allocate' as const,
    host: 'h1',
    resource: 'network:default',
    cause: '',
    deps: [],
    params: { stack: 'app', key: 'default', name: 'app_default', hosts: {} },
    write: true,
  };
  await t.throwsAsync(runOverlayOperation(op, undefined as never, undefined), {
    message: 'h1 allocate overlay app_default: no Consul configured for the overlay',
  });
});

test('a bridge network Consul knows nothing of, or an engine network of the same name, is refused before any write', (t) => {
  const d = stackOf();
  const after = afterApply(reconcile(d, observed(d)), observed(d, { kv: parseKv([]) }));
  const lost = reconcile(d, after);
  t.deepEqual(
    lost.diagnostics.map((x) => x.summary),
    [
      'network app_default exists on h1 (VNI 4096, which Consul has no allocation for), h2 (VNI 4096, which Consul has no allocation for), h3 (VNI 4096, which Consul has no allocation for)',
    ],
  );
  const engineNet = observed(d, { kv: kvEntries(['h1', 'h2', 'h3']) });
  engineNet.hosts.h2.networks.push({
    id: 'x',
    name: 'app_default',
    driver: 'overlay',
    scope: 'global',
    key: 'default',
    labels: { [Labels.managed]: 'true', [Labels.stack]: 'app', [Labels.network]: 'default' },
  });
  const plan = reconcile(d, engineNet);
  t.deepEqual(
    plan.diagnostics.map((x) => x.summary),
    ["network app_default exists on h2 (driver overlay, not stack's own overlay)"],
  );
  t.is(plan.diagnostics[0].severity, 'error');
});

/** The applied stack, with h2's programmed record and lease as `kv` says, and h2 now at `h2Endpoint`. */
function movedH2(programmedLocal?: string) {
  const d = stackOf();
  const after = afterApply(
    reconcile(d, observed(d)),
    observed(d, {
      kv: kvEntries(['h1', 'h2', 'h3']),
      registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] },
    }),
  );
  if (programmedLocal) after.overlay!.kv!.networks.get('app/default')!.programmed.h2.local = programmedLocal;
  return { d, after };
}

test('a host whose underlay address changed: its lease rewritten, its device made again with the new local address, every peer told', (t) => {
  const { d, after } = movedH2();
  const moved = {
    ...d,
    hosts: d.hosts.map((h) => (h.name === 'h2' ? { ...h, endpoint: endpointOf('tcp://10.0.0.22:2376') } : h)),
  };
  const plan = reconcile(moved, after);
  t.deepEqual(plan.diagnostics, []);
  const alloc = plan.operations.find((o) => o.kind === 'overlay.allocate')!;
  t.is(alloc.cause, 'underlay of h2 changed: 10.0.0.12 → 10.0.0.22');
  t.deepEqual(alloc.params.hosts, { h1: '10.0.0.11', h2: '10.0.0.22', h3: '10.0.0.13' });
  t.false('inUse' in alloc.params, 'an allocated network is not given a subnet again');
  const program = plan.operations.filter((o) => o.kind === 'overlay.program');
  t.deepEqual(
    program.map((o) => [o.host, o.cause]),
    [
      ['h1', 'peers changed: 10.0.0.12 10.0.0.13 → 10.0.0.13 10.0.0.22'],
      ['h2', 'underlay address changed: 10.0.0.12 → 10.0.0.22'],
      ['h3', 'peers changed: 10.0.0.11 10.0.0.12 → 10.0.0.11 10.0.0.22'],
    ],
  );
  for (const p of program) t.true(p.deps.includes(alloc.id), `${p.id} after the lease holds the new address`);
  t.deepEqual(program[1].params.peers, ['10.0.0.11', '10.0.0.13']);
});

test('a recorded device whose local address or MTU differs from what it must be is programmed again', (t) => {
  const { d, after } = movedH2('10.0.0.99');
  t.deepEqual(
    reconcile(d, after).operations.map((o) => [o.id, o.cause]),
    [['h2 program overlay app_default', 'underlay address changed: 10.0.0.99 → 10.0.0.12']],
  );
  const { after: mtu } = movedH2('10.0.0.12');
  mtu.overlay!.kv!.networks.get('app/default')!.programmed.h2.mtu = 1400;
  t.deepEqual(
    reconcile(d, mtu).operations.map((o) => [o.id, o.cause]),
    [['h2 program overlay app_default', 'MTU 1400 → 1450']],
  );
});

test('--refresh: a device with another local address, VNI or MTU than the allocation is programmed again', (t) => {
  const { d, after } = movedH2();
  after.overlay!.devices = {
    h1: { stvx4096: dev('10.0.0.99', ['10.0.0.12', '10.0.0.13']) },
    h2: { stvx4096: dev('10.0.0.12', ['10.0.0.11', '10.0.0.13'], { mtu: 1500 }) },
    h3: { stvx4096: dev('10.0.0.13', ['10.0.0.11', '10.0.0.12'], { vni: 7 }) },
  };
  t.deepEqual(
    reconcile(d, after).operations.map((o) => [o.host, o.cause]),
    [
      ['h1', 'VXLAN device stvx4096 has local address 10.0.0.99, not 10.0.0.11'],
      ['h2', 'VXLAN device stvx4096 has MTU 1500, not 1450'],
      ['h3', 'VXLAN device stvx4096 has VNI 7, not 4096'],
    ],
  );
});

const withIpam = (config: { subnet?: string; gateway?: string; ipRange?: string }[], driver?: string) =>
  stackOf(3, {
    networks: {
      default: network('default', 'app', { driver: 'overlay', ipam: { ...(driver ? { driver } : {}), config } }),
    },
  });
const errorsOf = (p: Plan) => p.diagnostics.filter((x) => x.severity === 'error').map((x) => x.summary);

test('a fixed ipam subnet is honoured: the allocation asks for it, and is told the networks on the hosts', (t) => {
  const d = withIpam([{ subnet: '10.20.0.5/22' }]);
  const o = observed(d);
  o.hosts.h1.foreignNetworks = [
    { id: 'b1', name: 'bridge', driver: 'bridge', scope: 'local', subnets: ['172.17.0.0/16'], labels: {} },
  ];
  o.hosts.h2.foreignNetworks = [
    { id: 'b2', name: 'bridge', driver: 'bridge', scope: 'local', subnets: ['172.17.0.0/16', 'fd00::/64'], labels: {} },
    { id: 'own', name: 'app_default', driver: 'bridge', scope: 'local', subnets: ['10.20.0.0/22'], labels: {} },
  ];
  const plan = reconcile(d, o);
  // A network of the stack's name that is not its own is never taken over: the bridge's create on h2 is refused.
  t.deepEqual(
    plan.diagnostics.map((x) => x.summary),
    [
      "network app_default already exists on h2 and is not this stack's (not made by stack): stack never takes over or removes it",
    ],
  );
  const alloc = plan.operations.find((o) => o.kind === 'overlay.allocate')!;
  t.is(alloc.params.subnet, '10.20.0.0/22');
  t.is(
    alloc.cause,
    'new network: VNI, subnet 10.20.0.0/22 (from the stack file) and host leases (check-and-set in Consul)',
  );
  t.deepEqual(
    alloc.params.inUse,
    [
      { subnet: '172.17.0.0/16', network: 'bridge', hosts: ['h1', 'h2'] },
      { subnet: 'fd00::/64', network: 'bridge', hosts: ['h2'] },
    ],
    "merged over hosts; the network's own bridges left out",
  );
  t.false(
    'subnet' in reconcile(stackOf(), observed(stackOf())).operations.find((o) => o.kind === 'overlay.allocate')!.params,
    'no subnet asked without ipam',
  );
});

test('a fixed subnet that cannot be honoured is refused before any write, saying why', (t) => {
  const refused = (d: DesiredState, o = observed(d)) => {
    const plan = reconcile(d, o);
    t.false(
      plan.operations.some((x) => ['overlay.allocate', 'overlay.bridge', 'overlay.program'].includes(x.kind)),
      'the network is not planned (and the plan, with errors, is refused)',
    );
    return errorsOf(plan);
  };
  t.deepEqual(refused(withIpam([{ subnet: '10.20.0.0/22', gateway: '10.20.0.1', ipRange: '10.20.1.0/24' }])), [
    "network default: gateway and ip_range cannot be honoured on stack's own overlay, which gives each host a /24 range of the subnet and that range's first address as gateway",
  ]);
  t.deepEqual(refused(withIpam([{ subnet: '10.20.0.0/22' }, { subnet: '10.21.0.0/22' }])), [
    "network default: stack's own overlay gives a network one subnet; ipam.config has 2",
  ]);
  t.deepEqual(refused(withIpam([{ subnet: '10.20.0.0/22' }], 'custom')), [
    "network default: ipam driver custom is not supported by stack's own overlay",
  ]);
  t.deepEqual(refused(withIpam([{ subnet: 'fd00::/64' }])), [
    "network default: subnet fd00::/64 is IPv6; stack's own overlay is IPv4 only",
  ]);
  const ipv6AuxOptions = stackOf(3, {
    networks: {
      default: network('default', 'app', {
        driver: 'overlay',
        enableIpv6: true,
        ipam: { options: { a: 'b' }, config: [{ subnet: '10.20.0.0/22', auxAddresses: { r: '10.20.0.5' } }] },
      }),
    },
  });
  t.deepEqual(refused(ipv6AuxOptions), [
    "network default: ipam.options cannot be honoured on stack's own overlay (IPv4, and stack's own address leases)",
    "network default: enable_ipv6 cannot be honoured on stack's own overlay (IPv4, and stack's own address leases)",
    "network default: aux_addresses cannot be honoured on stack's own overlay, which gives each host a /24 range of the subnet and that range's first address as gateway",
  ]);
  const small = reconcile(withIpam([{ subnet: '10.20.0.0/23' }]), observed(withIpam([{ subnet: '10.20.0.0/23' }])));
  t.deepEqual(errorsOf(small), [
    "network default: subnet 10.20.0.0/23 holds 1 host lease of /24 (the first is the network's), and the network spans 3 hosts",
  ]);
  t.is(small.diagnostics[0].hint, 'use a larger subnet (/22 or larger)');
  const claimed = withIpam([{ subnet: '10.240.8.0/22' }]);
  t.deepEqual(
    refused(
      claimed,
      observed(claimed, {
        kv: parseKv([{ key: 'stack/overlay/subnet/10.240.0.0_18', value: 'other/net', modifyIndex: 3 }]),
      }),
    ),
    ['network default: subnet 10.240.8.0/22 overlaps 10.240.0.0/18 of overlay network other/net (claimed in Consul)'],
  );
  // Allocated with another subnet: a network cannot change its subnet in place.
  const moved = withIpam([{ subnet: '10.30.0.0/22' }]);
  const plan = reconcile(moved, observed(moved, { kv: kvEntries(['h1', 'h2', 'h3']) }));
  t.deepEqual(errorsOf(plan), [
    'network default holds subnet 10.240.0.0/18 in Consul; the stack file asks for 10.30.0.0/22, and a network cannot change its subnet in place',
  ]);
  t.regex(plan.diagnostics[0].hint!, /keep 10\.240\.0\.0\/18, or remove the network/);
});

test('a fixed subnet overlapping a network on the hosts is refused by the general subnet check, naming both', (t) => {
  const d = withIpam([{ subnet: '10.20.0.0/22' }]);
  const o = observed(d);
  for (const h of ['h1', 'h3'])
    o.hosts[h].foreignNetworks = [
      { id: 'hand', name: 'handmade', driver: 'bridge', scope: 'local', subnets: ['10.20.2.0/24'], labels: {} },
    ];
  o.hosts.h2.foreignNetworks = [];
  t.deepEqual(errorsOf(reconcile(d, o)), [
    'network default: subnet 10.20.0.0/22 overlaps existing network handmade (10.20.2.0/24) on h1, h3',
  ]);
});

test("golden: the text plan of a new network on stack's own overlay says which overlay and why, then each host's part", (t) => {
  const d = stackOf();
  const plan = reconcile(d, observed(d));
  const text = planText(plan, { operations: true });
  t.is(
    text.split('\n')[1],
    "network default: stack's own overlay (VXLAN, Consul)  no cluster store on h1, h2, h3 (x-stack.overlay auto)",
  );
  goldenPlan(t, 'consul-overlay-create', plan, { operations: true });
});

test('golden: the text plan of a host whose underlay address changed', (t) => {
  const { d, after } = movedH2();
  const moved = {
    ...d,
    hosts: d.hosts.map((h) => (h.name === 'h2' ? { ...h, endpoint: endpointOf('tcp://10.0.0.22:2376') } : h)),
  };
  goldenPlan(t, 'consul-overlay-moved-host', reconcile(moved, after), { operations: true });
});

test('start-first on the own overlay: the new replica is registered under its temporary name once ready, the drain waits for that, and the old one is not deregistered (the new one took its place)', (t) => {
  const d = stackOf();
  const after = afterApply(
    reconcile(d, observed(d)),
    observed(d, {
      kv: kvEntries(['h1', 'h2', 'h3']),
      registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] },
    }),
  );
  for (const h of Object.values(after.hosts)) for (const c of h.containers) c.state = 'running';
  const api = service('api', {
    environment: { RELEASE: 'v2' },
    deploy: { replicas: 2, updateConfig: { ...d.services.api.deploy.updateConfig, order: 'start-first' } },
  });
  const plan = reconcile({ ...d, services: { api } }, after);
  t.deepEqual(plan.diagnostics, []);
  t.deepEqual(ids(plan, 'overlay.deregister'), []);
  for (const slot of ['1', '2']) {
    const reg = plan.operations.find(
      (o) => o.kind === 'overlay.register' && o.params.serviceId === `app-api-${slot}-default`,
    )!;
    const temporary = paramsOf(reg).container as string;
    t.not(temporary, `app-api-${slot}`);
    const wait = plan.operations.find((o) => o.id === reg.deps[0])!;
    t.true(wait.kind.startsWith('container.wait'));
    t.is(paramsOf(wait).name, temporary);
    const drain = plan.operations.find((o) => o.kind === 'rollout.drain' && o.group === reg.group)!;
    t.deepEqual(drain.deps.slice(-1), [reg.id]);
    const stop = plan.operations.find((o) => o.kind === 'container.stop' && o.params.name === `app-api-${slot}`)!;
    t.false(stop.deps.some((id) => id.includes('deregister')));
    // Should the replace fail once the new one took the old one's place, the old one's name comes back.
    const undo = plan.compensations.find((c) => c.group === reg.group)!.ops.find((o) => o.kind === 'overlay.register')!;
    t.is(undo.ifDone, reg.id);
  }
});
