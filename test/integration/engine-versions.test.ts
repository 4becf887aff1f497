/**
 * Engine 20.10 and Engine 28 in one stack, each host spoken to at its own API version: the default sandbox's h1
 * (Engine 20.10, API 1.41) and the vx instance's h1 (Engine 28, API 1.51), both over tcp+TLS. They are on different
 * bridges (no traffic between them), so the stacks here have no cross-host network: each service stays on its host.
 * On 28 a container gets all its networks at create; on 20.10, create then connect. The keys that need a newer API
 * work on 28 (the daemon applies them) and are refused on 20.10 before any write, naming the host and the version.
 */
import test from 'ava';
import Docker from 'dockerode';
import { Labels } from '../../src/labels.js';
import type { DesiredState, HostSpec, ServiceSpec } from '../../src/stack/types.js';
import { engine, runOnce, sandbox, sandboxInstanceUp, VX_UP_ARGS, type SandboxHost } from '../helpers/sandbox.js';
import { endpointOf } from '../helpers/endpoint.js';
import { desired, network, service } from '../unit/plan/helpers.js';
import { deploy, eventually, planStack, uniqueStack } from './reconcile-helpers.js';

const oldBox = sandbox();
const newBox = sandboxInstanceUp('vx', VX_UP_ARGS);
const OLD = oldBox.hosts.find((h) => h.name === 'h1')!;
const NEW = newBox.hosts.find((h) => h.name === 'h1')!;
const byName: Record<string, SandboxHost> = { old: OLD, new: NEW };
const docker = (host: 'old' | 'new'): Docker => engine(byName[host]);

const HOSTS: HostSpec[] = [
  { name: 'old', endpoint: endpointOf(OLD.tcp, OLD.tls), labels: {} },
  { name: 'new', endpoint: endpointOf(NEW.tcp, NEW.tls), labels: {} },
];
const on = (h: string) => ({
  replicas: 1,
  constraints: [{ field: 'node.hostname', op: '==' as const, value: h, text: `node.hostname == ${h}` }],
});

function stackOf(name: string, services: ServiceSpec[], over: Partial<DesiredState> = {}): DesiredState {
  return desired(services, {
    name,
    hosts: HOSTS,
    networks: { default: network('default', name), back: network('back', name) },
    ...over,
  });
}

/** Everything of the stack on both hosts, destroyed at the end of the test. */
function cleanup(t: { teardown: (fn: () => Promise<void>) => void }, d: DesiredState): void {
  t.teardown(async () => {
    await deploy(d, { destroy: true, pruneVolumes: true }).catch(() => undefined);
  });
}

async function stackObjects(host: 'old' | 'new', stack: string): Promise<string[]> {
  const filters = { label: [`${Labels.stack}=${stack}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker(host).listContainers({ all: true, filters }),
    docker(host).listNetworks({ filters }),
    docker(host).listVolumes({ filters }),
  ]);
  return [
    ...containers.map((c) => `container ${c.Names[0]}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...(volumes.Volumes ?? []).map((v) => `volume ${v.Name}`),
  ];
}

/** A command's output in a running container (tty: not multiplexed). */
async function execOut(host: 'old' | 'new', container: string, cmd: string[]): Promise<string> {
  const exec = await docker(host).getContainer(container).exec({ Cmd: cmd, AttachStdout: true, Tty: true });
  const stream = await exec.start({ hijack: true, stdin: false, Tty: true });
  return new Promise<string>((resolve, reject) => {
    let s = '';
    stream.on('data', (d: Buffer) => (s += d.toString('utf8')));
    stream.on('end', () => resolve(s.replace(/\r/g, '')));
    stream.on('error', reject);
  });
}

test('the sandbox runs Engine 20.10 on the default instance and Engine 28 on vx', async (t) => {
  t.is(newBox.engine, '28', 'the vx instance must run Engine 28: STACK_SANDBOX=vx npm run sandbox -- up --engine 28 …');
  const [o, n] = await Promise.all([docker('old').version(), docker('new').version()]);
  t.regex(o.Version, /^20\.10\./);
  t.is(o.ApiVersion, '1.41');
  t.regex(n.Version, /^28\./);
  t.is(n.ApiVersion, '1.51');
});

test('a mixed inventory plans and applies: each host at its own version, all networks at create on 28 only', async (t) => {
  const name = uniqueStack('mix');
  const svc = (s: string, host: string, image: string) =>
    service(s, {
      image,
      command: ['sleep', '3600'],
      networks: { default: { aliases: [] }, back: { aliases: [`${s}-back`] } },
      deploy: on(host),
    });
  const d = stackOf(name, [svc('a', 'old', oldBox.images.busybox), svc('b', 'new', newBox.images.busybox)]);
  cleanup(t, d);
  const { observed, plan } = await planStack(d);
  t.deepEqual(
    Object.values(observed.hosts).map((h) => [h.name, h.version?.engine.split('.')[0], h.version?.api]),
    [
      ['old', '20', { major: 1, minor: 41 }],
      ['new', '28', { major: 1, minor: 51 }],
    ],
  );
  t.deepEqual(
    plan.operations.filter((o) => o.kind === 'network.connect').map((o) => o.host),
    ['old'],
  );
  const { result } = await deploy(d);
  t.deepEqual(result?.failures, []);
  for (const [host, container] of [
    ['old', `${name}-a-1`],
    ['new', `${name}-b-1`],
  ] as const) {
    const info = await docker(host).getContainer(container).inspect();
    t.true(info.State.Running, `${container} runs on ${host}`);
    t.deepEqual(Object.keys(info.NetworkSettings.Networks).sort(), [`${name}_back`, `${name}_default`], host);
    t.true(info.NetworkSettings.Networks[`${name}_back`].Aliases?.includes(`${container.split('-')[1]}-back`));
  }
  const again = await planStack(d);
  t.deepEqual(again.plan.operations, [], 'a second plan over both versions is empty');
});

test('start_interval, volume.subpath and gw_priority reach Engine 28, which applies them', async (t) => {
  const name = uniqueStack('newkeys');
  const volume = `${name}-data`;
  await docker('new').createVolume({ Name: volume });
  t.teardown(() =>
    docker('new')
      .getVolume(volume)
      .remove()
      .catch(() => undefined),
  );
  const seeded = await runOnce(
    docker('new'),
    newBox.images.busybox,
    ['sh', '-c', 'mkdir -p /v/web && echo from-subpath >/v/web/f'],
    {
      Binds: [`${volume}:/v`],
    },
  );
  t.is(seeded.exitCode, 0, seeded.output);
  const web = service('web', {
    image: newBox.images.busybox,
    command: ['sleep', '3600'],
    healthcheck: { test: ['CMD', 'true'], intervalNs: 30e9, startPeriodNs: 60e9, startIntervalNs: 5e8 },
    mounts: [
      { type: 'volume', source: 'data', target: '/data', readOnly: false, volume: { nocopy: false, subpath: 'web' } },
    ],
    networks: { default: { aliases: [] }, back: { aliases: [], gwPriority: 10 } },
    deploy: on('new'),
  });
  const d = stackOf(name, [web], {
    volumes: { data: { key: 'data', name: volume, driver: 'local', driverOpts: {}, external: true, labels: {} } },
  });
  cleanup(t, d);
  await deploy(d);
  const container = `${name}-web-1`;
  const info = await docker('new').getContainer(container).inspect();
  t.is((info.Config.Healthcheck as { StartInterval?: number }).StartInterval, 5e8);
  // Healthy long before the 30 s interval: the check ran every start_interval during start_period.
  await eventually(
    async () => (await docker('new').getContainer(container).inspect()).State.Health?.Status === 'healthy',
    20_000,
    'healthy within start_period, checked every start_interval',
  );
  t.is((await execOut('new', container, ['cat', '/data/f'])).trim(), 'from-subpath');
  const back = await docker('new').getNetwork(`${name}_back`).inspect();
  const gateway = (back as { IPAM: { Config: { Gateway: string }[] } }).IPAM.Config[0].Gateway;
  t.regex(
    await execOut('new', container, ['ip', 'route']),
    new RegExp(`^default via ${gateway.replace(/\./g, '\\.')} `, 'm'),
  );
});

test('the same keys on Engine 20.10 are refused at plan time, naming the host and the version, and nothing is written', async (t) => {
  const name = uniqueStack('oldkeys');
  const web = service('web', {
    image: oldBox.images.busybox,
    command: ['sleep', '3600'],
    healthcheck: { test: ['CMD', 'true'], startPeriodNs: 60e9, startIntervalNs: 5e8 },
    mounts: [
      { type: 'volume', source: 'data', target: '/data', readOnly: false, volume: { nocopy: false, subpath: 'web' } },
    ],
    networks: { default: { aliases: [] }, back: { aliases: [], gwPriority: 10 } },
    deploy: on('old'),
  });
  const d = stackOf(name, [web], {
    volumes: {
      data: { key: 'data', name: `${name}_data`, driver: 'local', driverOpts: {}, external: false, labels: {} },
    },
  });
  cleanup(t, d);
  const { plan } = await planStack(d);
  t.deepEqual(
    plan.diagnostics.filter((x) => x.severity === 'error').map((x) => [x.summary, x.where?.path]),
    [
      [
        'service web: healthcheck.start_interval needs API 1.44 (Engine 25.0) or newer; old (API 1.41) speaks an older one',
        'services.web.healthcheck.start_interval',
      ],
      [
        'service web: volumes[0].volume.subpath needs API 1.45 (Engine 26.0) or newer; old (API 1.41) speaks an older one',
        'services.web.volumes[0].volume.subpath',
      ],
      [
        'service web: networks.back.gw_priority needs API 1.48 (Engine 28.0) or newer; old (API 1.41) speaks an older one',
        'services.web.networks.back.gw_priority',
      ],
    ],
  );
  await t.throwsAsync(deploy(d), { message: /old \(API 1\.41\)/ });
  t.deepEqual(await stackObjects('old', name), []);
  t.deepEqual(await stackObjects('new', name), []);
});
