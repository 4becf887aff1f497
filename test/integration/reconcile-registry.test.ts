/** Digests, registries and drift on real daemons: a tag pushed again, an authenticated registry, --refresh. */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import {
  cleanup,
  containersOf,
  deploy,
  desiredFor,
  docker,
  inspect,
  sandbox,
  service,
  stackEvents,
  uniqueStack,
  IMAGE,
  eventWindowStart,
  planStack,
} from './reconcile-helpers.js';
import { dockerCredentials } from '../../src/docker/auth.js';

async function follow(d: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  const out = await new Promise<any[]>((resolve, reject) =>
    d.modem.followProgress(stream, (err: Error | null, o: any[]) => (err ? reject(err) : resolve(o))),
  );
  const bad = out.find((o) => o.error);
  if (bad) throw new Error(bad.error);
}

/** Builds an image from busybox with one changed file, tags it `ref` and pushes it (from h1). */
async function pushVariant(ref: string, marker: string): Promise<void> {
  const d = docker('h1');
  await follow(d, await d.pull(IMAGE()));
  const c = await d.createContainer({ Image: IMAGE(), Cmd: ['sh', '-c', `echo ${marker} > /marker`] });
  await c.start();
  await c.wait();
  const [repo, tag] = [ref.slice(0, ref.lastIndexOf(':')), ref.slice(ref.lastIndexOf(':') + 1)];
  await c.commit({ repo, tag });
  await c.remove();
  await follow(d, await d.getImage(ref).push({ authconfig: { key: Buffer.from('{}').toString('base64') } }));
}

test('a tag pushed again shows up as a change and the containers are replaced', async (t) => {
  const name = uniqueStack('g');
  const ref = `${sandbox().registry}/${name}:latest`;
  await pushVariant(ref, 'one');
  const s = service('app', {
    image: ref,
    command: ['sh', '-c', 'cat /marker; exec sleep 3600'],
    stopGracePeriodNs: 1e9,
    deploy: { replicas: 2 },
  });
  const d = desiredFor(name, [s], 'socket');
  cleanup(t, d);
  t.true((await deploy(d)).result?.ok);
  t.deepEqual((await deploy(d)).plan.operations, []);
  await pushVariant(ref, 'two');
  const res = await deploy(d);
  t.true(res.result?.ok, JSON.stringify(res.result?.failures));
  t.deepEqual(
    res.plan.changes
      .filter((c) => c.type === 'container')
      .map((c) => `${c.action} ${c.fields.map((f) => f.path).join()}`),
    ['replace digest', 'replace digest'],
  );
  for (const [n, f] of await containersOf(name)) {
    const i = await inspect(f.host, n);
    const img = await docker(f.host).getImage(i.Image).inspect();
    t.true(
      img.RepoDigests.some((r) => r.endsWith(String(res.plan.changes[0].fields[0].after))),
      JSON.stringify(img.RepoDigests),
    );
    t.true((await docker(f.host).getContainer(n).logs({ stdout: true })).toString().includes('two'));
  }
});

test('pull from a registry with authentication, credentials from DOCKER_CONFIG; only hosts that lack the image pull', async (t) => {
  const sb = sandbox();
  const name = uniqueStack('h');
  const dir = mkdtempSync(join(tmpdir(), 'stack-docker-config-'));
  const { address, username, password } = sb.registryAuth;
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ auths: { [address]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } } }),
  );
  const credentials = dockerCredentials({ configDir: dir, env: {} });
  const s = service('private', {
    image: sb.images.private,
    command: ['sleep', '3600'],
    stopGracePeriodNs: 1e9,
    deploy: { mode: 'global' },
  });
  const d = desiredFor(name, [s], 'socket');
  cleanup(t, d);
  const res = await deploy(d, { credentials });
  t.true(res.result?.ok, JSON.stringify(res.result?.failures));
  const found = await containersOf(name);
  t.deepEqual([...found.values()].map((f) => f.host).sort(), ['h1', 'h2', 'h3']);
  for (const f of found.values()) t.is(f.info.State, 'running');
  // Pulls only where the image was missing; whichever hosts those were, none is pulled twice.
  const pulls = res.plan.operations.filter((o) => o.kind === 'image.pull').map((o) => o.host);
  t.deepEqual(pulls, [...new Set(pulls)]);
  const again = await deploy(d, { credentials });
  t.deepEqual(
    again.plan.operations.filter((o) => o.kind === 'image.pull'),
    [],
  );
});

test('plan --refresh finds drift the hash and the list cannot see and apply repairs it', async (t) => {
  const name = uniqueStack('i');
  const s = service('w', {
    image: IMAGE(),
    command: ['sleep', '3600'],
    restart: { name: 'always', maximumRetryCount: 0 },
    stopGracePeriodNs: 1e9,
    deploy: { replicas: 3 },
  });
  const d = desiredFor(name, [s], 'socket');
  cleanup(t, d);
  t.true((await deploy(d)).result?.ok);
  const found = await containersOf(name);
  const [a, b, c] = [1, 2, 3].map((i) => ({ n: `${name}-w-${i}`, h: found.get(`${name}-w-${i}`)!.host }));
  await docker(a.h).getContainer(a.n).stop({ t: 0 });
  await docker(b.h)
    .getContainer(b.n)
    .update({ RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } });
  await docker(c.h).getNetwork(`${name}_default`).disconnect({ Container: c.n });
  const since = await eventWindowStart();
  // The default plan is list-only: it sees the stopped replica (the list shows it exited), not the restart
  // policy or the disconnected network (only an inspect shows those). Planning writes nothing.
  const plain = await planStack(d);
  t.deepEqual(
    plain.plan.changes.map((x) => `${x.action} ${x.name}: ${x.cause}`),
    [`update ${a.n}: stopped (exit 137)`],
  );
  // (the daemon may stamp the test's own disconnect a moment after the call returned: not a write of the plan)
  t.deepEqual(
    (await stackEvents(name, since)).filter(
      (e) => !(e.Type === 'network' && e.Action === 'disconnect' && e.host === c.h),
    ),
    [],
  );
  const res = await deploy(d, { refresh: true });
  t.true(res.result?.ok, JSON.stringify(res.result?.failures));
  t.deepEqual(res.plan.changes.map((x) => `${x.action} ${x.name}`).sort(), [
    `update ${a.n}`,
    `update ${b.n}`,
    `update ${c.n}`,
  ]);
  t.true((await inspect(a.h, a.n)).State.Running);
  t.is((await inspect(b.h, b.n)).HostConfig.RestartPolicy?.Name, 'always');
  t.truthy((await inspect(c.h, c.n)).NetworkSettings.Networks[`${name}_default`]);
  t.deepEqual((await deploy(d, { refresh: true })).plan.operations, []);
});
