/**
 * The reconciler on real daemons: apply across 3 hosts and check on the daemons where each container
 * runs and how it was created; change, scale, remove; no-op re-apply makes no write. The apply / no-op and the
 * one-change cycles run over every transport (unix socket, tcp+TLS, ssh://); over ssh:// the whole test keeps one
 * SSH connection per host.
 */
import test, { type ExecutionContext } from 'ava';
import { sha256 } from '../../src/plan/canonical.js';
import { sshHandshakes } from '../../src/docker/ssh/pool.js';
import { Labels } from '../../src/labels.js';
import type { DesiredState } from '../../src/stack/types.js';
import {
  cleanup,
  containersOf,
  deploy,
  desiredFor,
  inspect,
  logs,
  network,
  service,
  stackEvents,
  uniqueStack,
  IMAGE,
  eventually,
  type Transport,
  eventWindowStart,
  sandbox,
} from './reconcile-helpers.js';

const secret = (key: string, text: string) => ({
  key,
  name: key,
  kind: 'secret' as const,
  source: 'content',
  external: false,
  content: Buffer.from(text),
  contentHash: sha256(text),
});

function example(
  name: string,
  transport: Transport,
  over: { release?: string; replicas?: number; token?: string; withCache?: boolean } = {},
): DesiredState {
  const web = service('web', {
    image: IMAGE(),
    command: ['sh', '-c', 'cat /run/secrets/token; echo; echo RELEASE=$RELEASE; ls /data; exec sleep 3600'],
    environment: { RELEASE: over.release ?? 'v1' },
    restart: { name: 'unless-stopped', maximumRetryCount: 0 },
    readOnly: true,
    mounts: [{ type: 'volume', source: 'data', target: '/data', readOnly: false }],
    secrets: [{ source: 'token', target: '/run/secrets/token' }],
    networks: { default: { aliases: [] }, back: { aliases: ['www'] } },
    stopGracePeriodNs: 1e9,
    deploy: { replicas: over.replicas ?? 3 },
  });
  const cache = service('cache', {
    image: IMAGE(),
    command: ['sleep', '3600'],
    stopGracePeriodNs: 1e9,
    deploy: { constraints: [{ field: 'node.hostname', op: '==', value: 'h2', text: 'node.hostname == h2' }] },
  });
  const d = desiredFor(name, over.withCache === false ? [web] : [web, cache], transport, {
    networks: { default: network('default', name), back: network('back', name) },
    volumes: {
      data: { key: 'data', name: `${name}_data`, driver: 'local', driverOpts: {}, external: false, labels: {} },
    },
    secrets: { token: secret('token', over.token ?? 'tok-1') },
  });
  return d;
}

const PREFIX = { tls: 'a', socket: 'b', ssh: 's' } as const;

/** Over ssh://: every host of the sandbox's main pool was reached over exactly one SSH connection in this process. */
function oneConnectionPerHost(t: ExecutionContext, transport: Transport): void {
  if (transport !== 'ssh') return;
  const handshakes = sshHandshakes();
  for (const h of sandbox().hosts) t.is(handshakes.get(`root@${h.ip}:22`), 1, `${h.name}: one SSH connection`);
}

for (const transport of ['tls', 'socket', 'ssh'] as const) {
  test(`apply across 3 hosts over ${transport}: hosts, labels, restart policy, volume, network, secret, env`, async (t) => {
    const name = uniqueStack(PREFIX[transport]);
    const d = example(name, transport);
    cleanup(t, d);
    const first = await deploy(d);
    t.true(first.result?.ok, JSON.stringify(first.result?.failures));
    const found = await containersOf(name);
    t.deepEqual([...found.keys()].sort(), [`${name}-cache-1`, `${name}-web-1`, `${name}-web-2`, `${name}-web-3`]);
    t.is(found.get(`${name}-cache-1`)!.host, 'h2');
    t.deepEqual(
      new Set([1, 2, 3].map((i) => found.get(`${name}-web-${i}`)!.host)).size,
      3,
      'web spread over the 3 hosts',
    );
    for (const i of [1, 2, 3]) {
      const { host, info } = found.get(`${name}-web-${i}`)!;
      t.is(info.Labels[Labels.stack], name);
      t.is(info.Labels[Labels.service], 'web');
      t.is(info.Labels[Labels.slot], String(i));
      t.regex(info.Labels[Labels.configHash], /^[0-9a-f]{64}$/);
      const c = await inspect(host, `${name}-web-${i}`);
      t.is(c.HostConfig.RestartPolicy?.Name, 'unless-stopped');
      t.true(c.HostConfig.ReadonlyRootfs);
      t.deepEqual(Object.keys(c.NetworkSettings.Networks).sort(), [`${name}_back`, `${name}_default`]);
      t.true(c.NetworkSettings.Networks[`${name}_back`].Aliases?.includes('www'));
      t.true(c.Mounts.some((m) => m.Name === `${name}_data` && m.Destination === '/data'));
      t.true(c.Mounts.some((m) => m.Destination === '/run/secrets' && m.RW === false));
      t.true(c.Config.Env.includes('RELEASE=v1'));
      const out = await eventually(
        async () => {
          const l = await logs(host, `${name}-web-${i}`);
          return l.includes('RELEASE=') && l;
        },
        10_000,
        'web output',
      );
      t.true(out.startsWith('tok-1\n'), out);
    }

    // A second apply of the unchanged file makes no write call at all.
    const since = await eventWindowStart();
    const again = await deploy(d);
    t.deepEqual(again.plan.operations, []);
    t.deepEqual(await stackEvents(name, since), []);
    oneConnectionPerHost(t, transport);
  });
}

for (const transport of ['socket', 'ssh'] as const)
  test(`changing one env value over ${transport} replaces only that service; the plan names the field; secrets are carried`, async (t) => {
    await envChange(t, transport);
    oneConnectionPerHost(t, transport);
  });

async function envChange(t: ExecutionContext, transport: Transport): Promise<void> {
  const name = uniqueStack(transport === 'ssh' ? 'cs' : 'c');
  const d = example(name, transport);
  cleanup(t, d);
  t.true((await deploy(d)).result?.ok);
  const before = await containersOf(name);
  const second = await deploy(example(name, transport, { release: 'v2' }));
  t.true(second.result?.ok, JSON.stringify(second.result?.failures));
  const replaced = second.plan.changes.filter((c) => c.action === 'replace');
  t.deepEqual(
    replaced.map((c) => c.name).sort(),
    [1, 2, 3].map((i) => `${name}-web-${i}`),
  );
  for (const c of replaced) t.deepEqual(c.fields, [{ path: 'environment.RELEASE', change: 'changed', after: 'v2' }]);
  t.false(second.plan.changes.some((c) => c.service === 'cache'));
  const after = await containersOf(name);
  t.is(after.get(`${name}-cache-1`)!.info.Id, before.get(`${name}-cache-1`)!.info.Id, 'cache untouched');
  for (const i of [1, 2, 3]) {
    const n = `${name}-web-${i}`;
    t.not(after.get(n)!.info.Id, before.get(n)!.info.Id);
    t.is(after.get(n)!.host, before.get(n)!.host, 'stays on its host');
    t.is(after.get(n)!.info.State, 'running');
    t.true((await inspect(after.get(n)!.host, n)).Config.Env.includes('RELEASE=v2'));
  }
  t.is(after.size, 4, 'no temporary or old container left');
  // A changed secret replaces only the containers that use it.
  const third = await deploy(example(name, transport, { release: 'v2', token: 'tok-2' }));
  t.deepEqual(
    third.plan.changes.filter((c) => c.action === 'replace').map((c) => c.service),
    ['web', 'web', 'web'],
  );
  t.true(third.plan.changes.some((c) => c.fields.some((f) => f.path === 'secrets.token.content' && f.sensitive)));
  t.false(JSON.stringify(third.plan).includes('tok-2'));
  const web1 = (await containersOf(name)).get(`${name}-web-1`)!;
  t.true(
    (
      await eventually(
        async () => (await logs(web1.host, `${name}-web-1`)).includes('RELEASE') && logs(web1.host, `${name}-web-1`),
        10_000,
      )
    ).startsWith('tok-2'),
  );
}

test('scale up and down, then remove a service', async (t) => {
  const name = uniqueStack('d');
  const d = example(name, 'socket', { replicas: 2 });
  cleanup(t, d);
  t.true((await deploy(d)).result?.ok);
  const before = await containersOf(name);
  const up = await deploy(example(name, 'socket', { replicas: 4 }));
  t.true(up.result?.ok);
  t.deepEqual(
    up.plan.changes
      .filter((c) => c.type === 'container')
      .map((c) => `${c.action} ${c.name}`)
      .sort(),
    [`create ${name}-web-3`, `create ${name}-web-4`],
  );
  const mid = await containersOf(name);
  for (const [n, f] of before) t.is(mid.get(n)!.info.Id, f.info.Id, `${n} untouched`);
  const down = await deploy(example(name, 'socket', { replicas: 1, withCache: false }));
  t.true(down.result?.ok);
  t.deepEqual([...(await containersOf(name)).keys()], [`${name}-web-1`]);
});

test('on-failure:3 gives up after 3 restarts; a failed dependency skips its dependents only', async (t) => {
  const name = uniqueStack('e');
  const crash = service('crash', {
    image: IMAGE(),
    command: ['sh', '-c', 'exit 3'],
    restart: { name: 'on-failure', maximumRetryCount: 3 },
    healthcheck: { test: ['CMD', 'true'], intervalNs: 1e9 },
  });
  const after = service('after', {
    image: IMAGE(),
    dependsOn: { crash: { condition: 'service_healthy', required: true, restart: false } },
  });
  const free = service('free', { image: IMAGE(), stopGracePeriodNs: 1e9 });
  const d = desiredFor(name, [crash, after, free], 'socket');
  cleanup(t, d);
  const res = await deploy(d);
  t.false(res.result?.ok);
  t.true(res.events.some((e) => e.type === 'op-skipped' && e.op.id.includes(`start ${name}-after-1`)));
  const found = await containersOf(name);
  t.is(found.get(`${name}-free-1`)!.info.State, 'running');
  t.is(found.get(`${name}-after-1`)!.info.State, 'created');
  const host = found.get(`${name}-crash-1`)!.host;
  const c = await eventually(
    async () => {
      const i = await inspect(host, `${name}-crash-1`);
      return !i.State.Running && !i.State.Restarting && i.RestartCount === 3 && i;
    },
    30_000,
    'crash to give up',
  );
  t.is(c.State.ExitCode, 3);
});

test('depends_on across hosts: service_healthy and service_completed_successfully', async (t) => {
  const name = uniqueStack('f');
  const on = (h: string) => ({ constraints: [{ field: 'node.hostname', op: '==' as const, value: h, text: h }] });
  const db = service('db', {
    image: IMAGE(),
    command: ['sh', '-c', 'sleep 2; touch /tmp/ready; exec sleep 3600'],
    healthcheck: { test: ['CMD', 'test', '-f', '/tmp/ready'], intervalNs: 500e6, retries: 20 },
    stopGracePeriodNs: 1e9,
    deploy: on('h3'),
  });
  const migrate = service('migrate', {
    image: IMAGE(),
    command: ['sh', '-c', 'sleep 1'],
    networks: { default: { aliases: [] } },
    deploy: on('h2'),
  });
  const web = service('web', {
    image: IMAGE(),
    stopGracePeriodNs: 1e9,
    dependsOn: {
      db: { condition: 'service_healthy', required: true, restart: false },
      migrate: { condition: 'service_completed_successfully', required: true, restart: false },
    },
    deploy: on('h1'),
  });
  const d = desiredFor(name, [db, migrate, web], 'socket');
  cleanup(t, d);
  const res = await deploy(d);
  t.true(res.result?.ok, JSON.stringify(res.result?.failures));
  const dbI = await inspect('h3', `${name}-db-1`);
  const migI = await inspect('h2', `${name}-migrate-1`);
  const webI = await inspect('h1', `${name}-web-1`);
  const healthyAt = Date.parse(dbI.State.Health!.Log.find((l) => l.ExitCode === 0)!.End);
  t.true(Date.parse(webI.State.StartedAt) >= healthyAt, 'web started after db was healthy');
  t.true(Date.parse(webI.State.StartedAt) >= Date.parse(migI.State.FinishedAt), 'web started after migrate finished');
  t.is(migI.State.ExitCode, 0);
  // The finished job is not started again: a re-apply is empty.
  t.deepEqual((await deploy(d)).plan.operations, []);
});
