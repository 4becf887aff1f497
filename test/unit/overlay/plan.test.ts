import test from 'ava';
import { reconcile } from '../../../src/plan/reconcile.js';
import { Labels } from '../../../src/labels.js';
import { parseKv } from '../../../src/overlay/state.js';
import { chooseOverlay, underlayOf } from '../../../src/overlay/mode.js';
import { programScript, parseDeviceList } from '../../../src/overlay/helper.js';
import type { ObservedState } from '../../../src/observe/types.js';
import type { DesiredState } from '../../../src/stack/types.js';
import type { Plan } from '../../../src/plan/types.js';
import { desired as buildDesired, network, observedEmpty, service, simulate, IMAGE } from '../plan/helpers.js';

const hostList = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `h${i + 1}`, endpoint: `tcp://10.0.0.${11 + i}:2376`, labels: {} }));

function stackOf(n = 3, over: Partial<DesiredState> = {}): DesiredState {
  return buildDesired([service('api', { deploy: { replicas: 2 } })], {
    hosts: hostList(n),
    settings: { hostConcurrency: 4, globalConcurrency: 16, overlay: 'auto', consul: 'http://10.0.0.2:8500' },
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
    e.push([`stack/overlay/networks/app/default/lease/${h}`, { host: h, slot, range: `10.240.${slot}.0/24`, gateway: `10.240.${slot}.1`, underlay: ip(h) }]);
    e.push([`stack/overlay/networks/app/default/slot/${slot}`, h]);
    if (programmed) e.push([`stack/overlay/networks/app/default/programmed/${h}`, { host: h, vni: 4096, peers: peersOf(h).map(ip).sort() }]);
  }
  return parseKv(e.map(([key, v], i) => ({ key, value: typeof v === 'string' ? v : JSON.stringify(v), modifyIndex: i + 1 })));
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
    o.hosts[op.host].networks.push({ id: `n-${op.host}`, name: p.name, driver: 'bridge', scope: 'local', key: p.key, labels: { [Labels.managed]: 'true', [Labels.stack]: 'app', [Labels.network]: p.key, [Labels.overlayVni]: '4096' } });
  }
  return o;
}

const ids = (p: Plan, kind?: string) => p.operations.filter((o) => !kind || o.kind === kind).map((o) => o.id);

test('a new network: one allocation, then per host the bridge and the helper; replicas wait for their host; DNS, search domain, catalog', (t) => {
  const d = stackOf();
  const plan = reconcile(d, observed(d));
  t.deepEqual(plan.diagnostics, []);
  t.deepEqual(plan.overlay, [{ network: 'default', mode: 'consul', why: 'no cluster store on h1, h2, h3 (x-stack.overlay auto)' }]);
  t.deepEqual(ids(plan, 'overlay.allocate'), ['h1 allocate overlay app_default']);
  t.deepEqual(plan.operations.find((o) => o.kind === 'overlay.allocate')!.params.hosts, { h1: '10.0.0.11', h2: '10.0.0.12', h3: '10.0.0.13' });
  t.deepEqual(ids(plan, 'overlay.bridge'), ['h1 create network app_default', 'h2 create network app_default', 'h3 create network app_default']);
  const program = plan.operations.filter((o) => o.kind === 'overlay.program');
  t.deepEqual(program.map((o) => [o.host, o.params.peers]), [['h1', ['10.0.0.12', '10.0.0.13']], ['h2', ['10.0.0.11', '10.0.0.13']], ['h3', ['10.0.0.11', '10.0.0.12']]]);
  t.false(plan.operations.some((o) => o.kind === 'network.create'), 'no engine network create');
  for (const c of plan.operations.filter((o) => o.kind === 'container.create')) {
    t.true(c.deps.includes(`${c.host} program overlay app_default`), `${c.id} waits for its host's overlay`);
    const body = c.params.body as any;
    t.deepEqual(body.HostConfig.Dns, ['10.0.0.2']);
    t.deepEqual(body.HostConfig.DnsSearch, ['app-default.service.consul']);
    t.deepEqual(body.NetworkingConfig.EndpointsConfig.app_default.Aliases, [], 'no host-local alias shadows the catalog');
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
  const after = afterApply(first, observed(d, { kv: kvEntries(['h1', 'h2', 'h3']), registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] } }));
  const plan = reconcile(d, after);
  t.deepEqual(ids(plan), []);
});

test('a running replica missing from the catalog is registered again', (t) => {
  const d = stackOf();
  const after = afterApply(reconcile(d, observed(d)), observed(d, { kv: kvEntries(['h1', 'h2', 'h3']), registered: { 'app-default': ['app-api-1-default'] } }));
  const plan = reconcile(d, after);
  t.deepEqual(plan.operations.map((o) => [o.kind, o.params.serviceId, o.cause]), [['overlay.register', 'app-api-2-default', 'running, but not in the catalog']]);
});

test('a fourth host: its lease, bridge and device, and new peers on the other three', (t) => {
  const d3 = stackOf(3);
  const after = afterApply(reconcile(d3, observed(d3)), observed(d3, { kv: kvEntries(['h1', 'h2', 'h3']), registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] } }));
  const d4 = stackOf(4);
  const o4 = structuredClone(after);
  o4.hosts.h4 = { name: 'h4', containers: [], networks: [], volumes: [], images: [{ id: 'img', repoTags: [IMAGE], repoDigests: [] }], engine: { clusterStore: '', clusterAdvertise: '' } };
  const plan = reconcile(d4, o4);
  t.deepEqual(plan.operations.find((o) => o.kind === 'overlay.allocate')?.cause, 'host leases for h4');
  t.deepEqual(ids(plan, 'overlay.bridge'), ['h4 create network app_default']);
  const program = plan.operations.filter((o) => o.kind === 'overlay.program');
  t.deepEqual(program.map((o) => o.host), ['h1', 'h2', 'h3', 'h4']);
  t.regex(program[0].cause, /^peers changed: 10\.0\.0\.12 10\.0\.0\.13 → 10\.0\.0\.12 10\.0\.0\.13 10\.0\.0\.14$/);
});

test('--refresh: a host whose device is gone is programmed again, the others are not', (t) => {
  const d = stackOf();
  const after = afterApply(reconcile(d, observed(d)), observed(d, { kv: kvEntries(['h1', 'h2', 'h3']), registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] } }));
  after.overlay!.devices = { h1: { stvx4096: ['10.0.0.12', '10.0.0.13'] }, h2: {}, h3: { stvx4096: ['10.0.0.11', '10.0.0.12'] } };
  const plan = reconcile(d, after);
  t.deepEqual(ids(plan), ['h2 program overlay app_default']);
  t.is(plan.operations[0].cause, 'VXLAN device stvx4096 is missing');
  t.deepEqual(plan.changes.map((c) => [c.host, c.action, c.cause]), [['h2', 'update', 'consul overlay: VXLAN device stvx4096 is missing']]);
});

test('scaling down deregisters the replica before it stops', (t) => {
  const d = stackOf();
  const after = afterApply(reconcile(d, observed(d)), observed(d, { kv: kvEntries(['h1', 'h2', 'h3']), registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] } }));
  for (const h of Object.values(after.hosts)) for (const c of h.containers) c.state = 'running';
  const plan = reconcile({ ...d, services: { api: service('api', { deploy: { replicas: 1 } }) } }, after);
  const dereg = plan.operations.find((o) => o.kind === 'overlay.deregister')!;
  t.deepEqual(dereg.params, { node: `stack-${dereg.host}`, serviceId: 'app-api-2-default' });
  const stop = plan.operations.find((o) => o.kind === 'container.stop')!;
  t.true(stop.deps.includes(dereg.id));
});

test('a removed network: bridge networks after their containers, then devices, then the leases', (t) => {
  const d = stackOf();
  const after = afterApply(reconcile(d, observed(d)), observed(d, { kv: kvEntries(['h1', 'h2', 'h3']), registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] } }));
  const plan = reconcile(d, after, { destroy: true });
  const un = plan.operations.filter((o) => o.kind === 'overlay.unprogram');
  t.deepEqual(un.map((o) => [o.host, o.deps[0]]), [['h1', 'h1 remove network app_default'], ['h2', 'h2 remove network app_default'], ['h3', 'h3 remove network app_default']]);
  const release = plan.operations.find((o) => o.kind === 'overlay.release')!;
  t.deepEqual(release.params, { stack: 'app', key: 'default' });
  for (const u of un) t.true(release.deps.includes(u.id));
  t.is(plan.operations.filter((o) => o.kind === 'overlay.deregister').length, 2);
});

test('Consul unreachable or unset: an error, and not one operation', (t) => {
  const d = stackOf();
  const plan = reconcile(d, observed(d, { kv: undefined, error: 'consul http://10.0.0.2:8500 is unreachable (GET /v1/kv/stack/overlay/): connect ECONNREFUSED' }));
  t.deepEqual(plan.diagnostics.map((x) => [x.severity, x.summary]), [['error', 'Consul-backed overlay: consul http://10.0.0.2:8500 is unreachable (GET /v1/kv/stack/overlay/): connect ECONNREFUSED']]);
  t.false(plan.operations.some((o) => o.kind.startsWith('overlay.')));
});

test('a unix-socket host without stack.underlay is an error that says what to do', (t) => {
  const d = stackOf(2, { hosts: [{ name: 'h1', endpoint: 'unix:///run/docker.sock', labels: {} }, { name: 'h2', endpoint: 'tcp://10.0.0.12:2376', labels: {} }] } as never);
  const plan = reconcile(d, observed(d));
  t.is(plan.diagnostics[0].summary, 'host h1: no underlay address for the overlay');
  t.regex(plan.diagnostics[0].hint!, /stack\.underlay=IP/);
  t.is(underlayOf({ name: 'x', endpoint: 'unix:///s', labels: { 'stack.underlay': '10.1.1.1' } }), '10.1.1.1');
});

test('the choice: consul and engine settings win; auto picks the engine only when every daemon has a cluster store', (t) => {
  t.is(chooseOverlay('n', 'consul', { h1: true }, ['h1']).mode, 'consul');
  t.is(chooseOverlay('n', 'engine', { h1: false }, ['h1']).mode, 'engine');
  t.deepEqual(chooseOverlay('n', 'auto', { h1: true, h2: true }, ['h1', 'h2']), { network: 'n', mode: 'engine', why: 'every daemon has a cluster store (x-stack.overlay auto)' });
  t.deepEqual(chooseOverlay('n', 'auto', { h1: true, h2: false }, ['h1', 'h2']), { network: 'n', mode: 'consul', why: 'no cluster store on h2 (x-stack.overlay auto)' });
  t.is(chooseOverlay('n', 'auto', { h1: true }, ['h1', 'h2']).why, 'cluster stores not observed');
  const d = stackOf();
  const o = observed(d);
  for (const h of Object.values(o.hosts)) h.engine = { clusterStore: 'etcd://e', clusterAdvertise: `${h.name}:2376` };
  const plan = reconcile(d, o);
  t.false(plan.operations.some((x) => x.kind.startsWith('overlay.')));
  t.true(plan.operations.some((x) => x.kind === 'network.create' && (x.params.body as any).Driver === 'overlay'));
});

test('helper scripts: the device is created only when missing, the flood list set exactly; device lists parse', (t) => {
  const s = programScript(4096, '10.0.0.11', ['10.0.0.13', '10.0.0.12'], 1450);
  t.true(s.includes('ip link show stvx4096 >/dev/null 2>&1 || ip link add stvx4096 type vxlan id 4096 dstport 4789 local 10.0.0.11'));
  t.true(s.includes('ip link set stvx4096 mtu 1450 master stbr4096 up'));
  t.true(s.endsWith('bridge fdb append 00:00:00:00:00:00 dev stvx4096 dst 10.0.0.12\nbridge fdb append 00:00:00:00:00:00 dev stvx4096 dst 10.0.0.13'));
  t.deepEqual(parseDeviceList('stvx4096 10.0.0.13 10.0.0.12 \r\nstvx4097 \n'), { stvx4096: ['10.0.0.12', '10.0.0.13'], stvx4097: [] });
});

test('a replaced replica: the old one is deregistered before it stops, the new one registered after its rename', (t) => {
  const d = stackOf();
  const after = afterApply(reconcile(d, observed(d)), observed(d, { kv: kvEntries(['h1', 'h2', 'h3']), registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] } }));
  for (const h of Object.values(after.hosts)) for (const c of h.containers) c.state = 'running';
  const changed = { ...d, services: { api: service('api', { environment: { RELEASE: 'v2' }, deploy: { replicas: 2 } }) } };
  const plan = reconcile(changed, after);
  for (const slot of ['1', '2']) {
    const stop = plan.operations.find((o) => o.kind === 'container.stop' && o.params.name === `app-api-${slot}`)!;
    const dereg = plan.operations.find((o) => o.kind === 'overlay.deregister' && o.params.serviceId === `app-api-${slot}-default`)!;
    t.true(stop.deps.includes(dereg.id));
    const rename = plan.operations.find((o) => o.kind === 'container.rename' && o.params.newName === `app-api-${slot}`)!;
    const reg = plan.operations.find((o) => o.kind === 'overlay.register' && o.params.serviceId === `app-api-${slot}-default`)!;
    t.deepEqual(reg.deps, [rename.id]);
    t.is(reg.params.container, `app-api-${slot}`);
  }
});

test('--refresh where the device list failed on a host: a warning naming the host, and no repair guessed', (t) => {
  const d = stackOf();
  const after = afterApply(reconcile(d, observed(d)), observed(d, { kv: kvEntries(['h1', 'h2', 'h3']), registered: { 'app-default': ['app-api-1-default', 'app-api-2-default'] } }));
  after.overlay!.devices = { h1: { stvx4096: ['10.0.0.12', '10.0.0.13'] }, h2: 'host h2: overlay helper (list devices) exited 127: chroot: not found', h3: { stvx4096: ['10.0.0.11', '10.0.0.12'] } };
  const plan = reconcile(d, after);
  t.deepEqual(plan.operations, []);
  t.deepEqual(plan.diagnostics.map((x) => [x.severity, x.summary]), [['warning', 'host h2: VXLAN devices could not be listed: host h2: overlay helper (list devices) exited 127: chroot: not found']]);
});

test('an overlay operation without Consul fails before touching the host', async (t) => {
  const { runOverlayOperation } = await import('../../../src/overlay/execute.js');
  const op = { id: 'h1 allocate overlay app_default', kind: 'overlay.allocate' as const, host: 'h1', resource: 'network:default', cause: '', deps: [], params: {}, write: true };
  await t.throwsAsync(runOverlayOperation(op, undefined as never, undefined), { message: 'h1 allocate overlay app_default: no Consul configured for the overlay' });
});

test('a bridge network Consul knows nothing of, or an engine network of the same name, is refused before any write', (t) => {
  const d = stackOf();
  const after = afterApply(reconcile(d, observed(d)), observed(d, { kv: parseKv([]) }));
  const lost = reconcile(d, after);
  t.deepEqual(lost.diagnostics.map((x) => x.summary), ['network app_default exists on h1 (VNI 4096, which Consul has no allocation for), h2 (VNI 4096, which Consul has no allocation for), h3 (VNI 4096, which Consul has no allocation for)']);
  const engineNet = observed(d, { kv: kvEntries(['h1', 'h2', 'h3']) });
  engineNet.hosts.h2.networks.push({ id: 'x', name: 'app_default', driver: 'overlay', scope: 'global', key: 'default', labels: { [Labels.managed]: 'true', [Labels.stack]: 'app', [Labels.network]: 'default' } });
  const plan = reconcile(d, engineNet);
  t.deepEqual(plan.diagnostics.map((x) => x.summary), ["network app_default exists on h2 (driver overlay, not stack's own overlay)"]);
  t.is(plan.diagnostics[0].severity, 'error');
});
