/**
 * The planner and objects that are not the stack identity's own: another identity's objects of the same stack
 * name refuse the plan naming both owners; objects with the stack's labels and no identity are left alone; a
 * name the plan would create that a foreign object has, and a host port a foreign container publishes, are
 * errors before any write. Labels: only objects with this run's identity are the stack's own.
 */
import test from 'ava';
import { reconcile } from '../../../src/plan/reconcile.js';
import { parseContainer, parsePorts } from '../../../src/observe/parse.js';
import { hasStackLabels, isOwn, ownerOf } from '../../../src/observe/owner.js';
import { Labels, ownerLabels, stackFilter, type StackOwner } from '../../../src/labels.js';
import type { ObservedState } from '../../../src/observe/types.js';
import type { Plan } from '../../../src/plan/types.js';
import { desired, observedEmpty, service, simulate } from './helpers.js';
import { endpointOf } from '../../helpers/endpoint.js';

const OURS: StackOwner = { id: '11111111-1111-4111-8111-111111111111', state: 'local state in /state/a' };
const THEIRS: StackOwner = { id: '22222222-2222-4222-8222-222222222222', state: 'Consul at http://10.77.0.2:8500' };

const errorsOf = (p: Plan) => p.diagnostics.filter((d) => d.severity === 'error');
const warningsOf = (p: Plan) => p.diagnostics.filter((d) => d.severity === 'warning');

function observedFor(d: ReturnType<typeof desired>, owner: StackOwner | undefined = OURS): ObservedState {
  const o = observedEmpty(d);
  if (owner) o.owner = owner;
  for (const h of Object.values(o.hosts))
    Object.assign(h, { foreignContainers: [], foreignNetworks: [], foreignVolumes: [] });
  return o;
}

/** A container another party made on `host`: labels as given, running, publishing `ports` (host:container). */
function foreignContainer(
  o: ObservedState,
  host: string,
  name: string,
  labels: Record<string, string>,
  ports: [number, number][] = [],
): void {
  o.hosts[host].foreignContainers!.push(
    parseContainer(host, {
      Id: `id-${name}`,
      Names: [`/${name}`],
      Labels: labels,
      State: 'running',
      Status: 'Up 1 minute',
      Ports: ports.map(([pub, priv]) => ({ IP: '0.0.0.0', PrivatePort: priv, PublicPort: pub, Type: 'tcp' })),
    }),
  );
}

const stackLabels = (stack: string, owner?: StackOwner) => ({
  [Labels.managed]: 'true',
  [Labels.stack]: stack,
  [Labels.service]: 'web',
  [Labels.slot]: '1',
  ...ownerLabels(owner),
});

test("own means the stack's labels and this run's identity; a list filter can ask for exactly that", (t) => {
  const labels = stackLabels('app', OURS);
  t.true(isOwn(labels, 'app', OURS));
  t.false(isOwn(labels, 'app', THEIRS));
  t.false(isOwn(labels, 'other', OURS));
  t.false(isOwn(stackLabels('app'), 'app', OURS), 'no identity: not own');
  t.false(isOwn(labels, 'app', undefined), 'before the first apply nothing is own');
  t.true(hasStackLabels(stackLabels('app'), 'app'));
  t.deepEqual(ownerOf(labels), OURS);
  t.is(ownerOf(stackLabels('app')), undefined);
  t.deepEqual(stackFilter('app', OURS).label, [
    `${Labels.managed}=true`,
    `${Labels.stack}=app`,
    `${Labels.owner}=${OURS.id}`,
  ]);
});

test('every object a plan creates carries the identity and where its state is', (t) => {
  const d = desired(
    [service('web', { mounts: [{ type: 'volume', source: 'data', target: '/data', readOnly: false }] })],
    {
      volumes: {
        data: { key: 'data', name: 'app_data', driver: 'local', driverOpts: {}, external: false, labels: {} },
      },
    },
  );
  const plan = reconcile(d, observedFor(d));
  const bodies = plan.operations
    .filter((op) => op.kind.endsWith('.create'))
    .map((op) => (op.params as { body: { Labels: Record<string, string> } }).body.Labels);
  t.true(bodies.length >= 3, 'network, volume and container');
  for (const labels of bodies) t.like(labels, { [Labels.owner]: OURS.id, [Labels.ownerState]: OURS.state });
  const after = simulate(plan, observedFor(d));
  t.deepEqual(reconcile(d, after).operations, [], 'and a second plan finds them its own');
});

test("another identity's objects of the same stack name: the plan is refused naming both owners and where each keeps its state", (t) => {
  const d = desired([service('web')]);
  const o = observedFor(d);
  foreignContainer(o, 'h1', 'app-web-1', stackLabels('app', THEIRS));
  const plan = reconcile(d, o);
  const [e, ...more] = errorsOf(plan);
  t.is(
    e.summary,
    `a second stack named app is on h1: its objects belong to identity ${THEIRS.id}, state: ${THEIRS.state}; this run is identity ${OURS.id}, state: ${OURS.state}`,
  );
  t.is(e.detail, 'objects of the other stack (never touched): container app-web-1');
  t.regex(e.hint!, /another name \(-p NAME.*Consul at http:\/\/10\.77\.0\.2:8500/);
  t.deepEqual(more, [], 'one error for the other stack, not one more per object of it');
  t.false(
    plan.operations.some((op) => op.kind === 'container.remove' || op.kind === 'container.stop'),
    "the other stack's container is never removed",
  );
});

test("before the first apply (a provisional identity), any identity on the hosts is another stack's", (t) => {
  const d = desired([service('web')]);
  const o = observedFor(d, { id: '33333333-3333-4333-8333-333333333333', state: 'local state in /b', new: true });
  foreignContainer(o, 'h2', 'app-web-9', stackLabels('app', THEIRS));
  t.regex(
    errorsOf(reconcile(d, o))[0].summary,
    /this run is identity 3{8}-.* \(made at its first apply\), state: local state in \/b$/,
  );
});

test("a container made by hand with the stack's labels and no identity is left alone by apply and by destroy, with a warning", (t) => {
  const d = desired([service('web')]);
  const o = observedFor(d);
  foreignContainer(o, 'h3', 'app-handmade', stackLabels('app'));
  for (const plan of [reconcile(d, o), reconcile(d, o, { destroy: true })]) {
    t.deepEqual(errorsOf(plan), []);
    t.false(plan.operations.some((op) => (op.params as { name?: string }).name === 'app-handmade'));
    t.deepEqual(
      warningsOf(plan).map((w) => w.summary),
      [
        'container app-handmade on h3 carries the labels of stack app but no stack identity (made by hand, or by a stack version before identities): left alone',
      ],
    );
  }
});

test('a container of an earlier stack version (no identity) with the name of a replica: refused, not replaced', (t) => {
  const d = desired([service('web')], {
    hosts: [{ name: 'h1', endpoint: endpointOf('unix:///run/h1.sock'), labels: {} }],
  });
  const o = observedFor(d);
  foreignContainer(o, 'h1', 'app-web-1', stackLabels('app'));
  const e = errorsOf(reconcile(d, o));
  t.deepEqual(
    e.map((x) => x.summary),
    [
      "container app-web-1 already exists on h1 and is not this stack's (labels of stack app without an identity): stack never takes over or removes it",
    ],
  );
  t.like(e[0].where, { host: 'h1', path: 'services.web' });
});

test('volumes: { x: { name: other_data } } does not adopt a foreign volume: error naming host and volume, fixed by external: true', (t) => {
  const vol = (external: boolean) => ({
    data: { key: 'data', name: 'other_data', driver: 'local', driverOpts: {}, external, labels: {} },
  });
  const web = service('web', {
    mounts: [{ type: 'volume', source: 'data', target: '/data', readOnly: false }],
    deploy: { replicas: 3 },
  });
  const d = desired([web], { volumes: vol(false) });
  const o = observedFor(d);
  o.hosts.h2.foreignVolumes!.push({ name: 'other_data', driver: 'local', labels: {} });
  const e = errorsOf(reconcile(d, o));
  t.is(e.length, 1);
  t.is(
    e[0].summary,
    "volume other_data already exists on h2 and is not this stack's (not made by stack): stack never takes over or removes it",
  );
  t.like(e[0].where, { host: 'h2', path: 'volumes.data' });
  t.is(
    e[0].hint,
    'to use the existing volume, declare it with external: true (volumes.data); otherwise give it another name:, or remove it',
  );
  const ext = desired([web], { volumes: vol(true) });
  const plan = reconcile(ext, observedFor(ext));
  t.deepEqual(errorsOf(plan), []);
  t.false(
    plan.operations.some((op) => op.kind === 'volume.create'),
    'external: used, never created',
  );
});

test("a network of the stack's name made by another stack or by hand is not adopted", (t) => {
  const d = desired([service('web')]);
  const o = observedFor(d);
  o.hosts.h1.foreignNetworks!.push({
    id: 'n1',
    name: 'app_default',
    driver: 'bridge',
    scope: 'local',
    labels: { [Labels.managed]: 'true', [Labels.stack]: 'other' },
  });
  const e = errorsOf(reconcile(d, o));
  t.deepEqual(
    e.map((x) => x.summary),
    [
      "network app_default already exists on h1 and is not this stack's (stack other): stack never takes over or removes it",
    ],
  );
});

test("a host port a foreign container publishes: error naming host, port and the container, at the service's port", (t) => {
  const web = service('web', {
    ports: [{ target: 80, published: '8080', protocol: 'tcp', mode: 'host' }],
    deploy: { replicas: 3 },
  });
  const d = desired([web]);
  const o = observedFor(d);
  foreignContainer(o, 'h2', 'demo-web-1', { [Labels.managed]: 'true', [Labels.stack]: 'demo' }, [[8080, 8080]]);
  foreignContainer(o, 'h3', 'unrelated', {}, [[9090, 80]]);
  const e = errorsOf(reconcile(d, o));
  t.deepEqual(
    e.map((x) => x.summary),
    [
      "host port 8080/tcp on h2 is already published by container demo-web-1 (not this stack's), so web cannot publish it there",
    ],
  );
  t.like(e[0].where, { host: 'h2', path: 'services.web.ports[0]' });
  t.regex(e[0].hint!, /publish another host port/);
});

test('host ports: another protocol, another address or a port range that misses are no conflict; a range that covers it is', (t) => {
  const plan = (
    ports: { target: number; published: string; protocol: 'tcp' | 'udp'; hostIp?: string }[],
    held: { IP: string; PublicPort: number; Type: string },
  ) => {
    const d = desired(
      [
        service('web', {
          ports: ports.map((p) => ({ mode: 'host' as const, ...p })),
          deploy: { replicas: 1, constraints: [] },
        }),
      ],
      { hosts: [{ name: 'h1', endpoint: endpointOf('unix:///run/h1.sock'), labels: {} }] },
    );
    const o = observedFor(d);
    o.hosts.h1.foreignContainers!.push(
      parseContainer('h1', {
        Id: 'x',
        Names: ['/x'],
        Labels: {},
        State: 'running',
        Ports: [{ ...held, PrivatePort: 1 }],
      }),
    );
    return errorsOf(reconcile(d, o)).length;
  };
  t.is(plan([{ target: 80, published: '8080', protocol: 'udp' }], { IP: '0.0.0.0', PublicPort: 8080, Type: 'tcp' }), 0);
  t.is(
    plan([{ target: 80, published: '8080', protocol: 'tcp', hostIp: '127.0.0.1' }], {
      IP: '10.0.0.1',
      PublicPort: 8080,
      Type: 'tcp',
    }),
    0,
  );
  t.is(
    plan([{ target: 80, published: '8080', protocol: 'tcp', hostIp: '127.0.0.1' }], {
      IP: '0.0.0.0',
      PublicPort: 8080,
      Type: 'tcp',
    }),
    1,
  );
  t.is(plan([{ target: 80, published: '8000-8009', protocol: 'tcp' }], { IP: '::', PublicPort: 8005, Type: 'tcp' }), 1);
  t.is(plan([{ target: 80, published: '8000-8009', protocol: 'tcp' }], { IP: '::', PublicPort: 8010, Type: 'tcp' }), 0);
});

test("the stack's own running replica publishing its port is not a conflict; the list's ports are read once per address family", (t) => {
  const web = service('web', { ports: [{ target: 80, published: '8080', protocol: 'tcp', mode: 'host' }] });
  const d = desired([web], { hosts: [{ name: 'h1', endpoint: endpointOf('unix:///run/h1.sock'), labels: {} }] });
  const first = reconcile(d, observedFor(d));
  const after = simulate(first, observedFor(d));
  const changed = desired([{ ...web, environment: { V: '2' } }], { hosts: d.hosts });
  t.deepEqual(errorsOf(reconcile(changed, after)), [], 'its replacement may take the port');
  t.deepEqual(
    parsePorts({
      Ports: [
        { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        { PrivatePort: 81, Type: 'tcp' },
      ],
    }),
    [
      { hostIp: '0.0.0.0', port: 8080, protocol: 'tcp', target: 80 },
      { hostIp: '::', port: 8080, protocol: 'tcp', target: 80 },
    ],
  );
});

test('an identity read from labels is quoted without control characters (anyone can write labels)', (t) => {
  t.deepEqual(ownerOf({ [Labels.owner]: 'x\u001b[2Jy', [Labels.ownerState]: 's'.repeat(300) }), {
    id: 'x?[2Jy',
    state: `${'s'.repeat(200)}…`,
  });
});
