/**
 * What reaches the Engine, read back from the daemon (h1): a service's resources, ulimits, sysctls, logging,
 * and the rest of its container settings; pull_policy never / always; and resources without stack's labels,
 * next to a stack and named like its own, never touched by apply or destroy --prune-volumes.
 */
import { writeFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { Labels } from '../../src/labels.js';
import {
  containersOf,
  docker,
  hostEvents,
  IMAGE,
  sandbox,
  stackEvents,
  uniqueStack,
  eventWindowStart,
} from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';

test.before(() => ensureBuilt());

/** A folder with compose.yaml and an inventory of h1; the stack is destroyed (volumes too) afterwards. */
function onH1(t: ExecutionContext, compose: string): string {
  const dir = writeDir({ 'compose.yaml': compose, 'inventory.yaml': inventoryYaml(sandboxHosts(['h1'])) });
  t.teardown(() =>
    runStack(['destroy', '--yes', '--prune-volumes', '-i', 'inventory.yaml'], dir).then(
      () => undefined,
      () => undefined,
    ),
  );
  return dir;
}

test('resources, ulimits, sysctls, logging and the other container settings reach the Engine as written', async (t) => {
  const name = uniqueStack('eng');
  const dir = onH1(
    t,
    `name: ${name}
services:
  app:
    image: ${IMAGE()}
    command: ["sleep", "3600"]
    working_dir: /tmp
    user: "1000:1000"
    hostname: app-host
    stop_signal: SIGUSR1
    stop_grace_period: 7s
    init: true
    read_only: true
    shm_size: 32m
    tmpfs: ["/run/app:size=1m"]
    cap_drop: [NET_RAW]
    cap_add: [SYS_TIME]
    extra_hosts: ["db.local:10.77.0.13"]
    dns: [10.77.0.2]
    dns_search: [example.internal]
    ulimits:
      nofile: { soft: 1024, hard: 2048 }
      nproc: 512
    sysctls: { net.core.somaxconn: "511" }
    logging: { driver: json-file, options: { max-size: 1m, max-file: "2" } }
    mem_reservation: 32m
    deploy:
      resources:
        limits: { memory: 64m, cpus: "0.5", pids: 100 }
`,
  );
  const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 0, r.stdout + r.stderr);
  const [c] = [...(await containersOf(name)).values()];
  t.is(c.host, 'h1');
  const i = await docker('h1').getContainer(c.info.Id).inspect();
  t.is(i.State.Status, 'running');
  t.like(i.Config, {
    WorkingDir: '/tmp',
    User: '1000:1000',
    Hostname: 'app-host',
    StopSignal: 'SIGUSR1',
    StopTimeout: 7,
  });
  const h = i.HostConfig as typeof i.HostConfig & Record<string, unknown>;
  t.like(h, {
    Init: true,
    ReadonlyRootfs: true,
    ShmSize: 32 * 1024 * 1024,
    Memory: 64 * 1024 * 1024,
    MemoryReservation: 32 * 1024 * 1024,
    NanoCpus: 500_000_000,
    PidsLimit: 100,
  });
  t.deepEqual(h.Tmpfs, { '/run/app': 'size=1m' });
  t.deepEqual(h.CapDrop, ['NET_RAW']);
  t.deepEqual(h.CapAdd, ['SYS_TIME']);
  t.deepEqual(h.ExtraHosts, ['db.local:10.77.0.13']);
  t.deepEqual(h.Dns, ['10.77.0.2']);
  t.deepEqual(h.DnsSearch, ['example.internal']);
  t.deepEqual((h.Ulimits ?? []).map((u) => `${u.Name} ${u.Soft} ${u.Hard}`).sort(), [
    'nofile 1024 2048',
    'nproc 512 512',
  ]);
  t.deepEqual(h.Sysctls, { 'net.core.somaxconn': '511' });
  t.deepEqual(h.LogConfig, { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } });
  // And the daemon applied them: the limits as the container sees them.
  const exec = await docker('h1')
    .getContainer(c.info.Id)
    .exec({
      Cmd: [
        'sh',
        '-c',
        "grep 'Max open files' /proc/1/limits | tr -s ' ' | cut -d' ' -f4,5; cat /proc/sys/net/core/somaxconn; id -u; hostname",
      ],
      AttachStdout: true,
      Tty: true,
    });
  const stream = await exec.start({ hijack: true, stdin: false, Tty: true });
  const out = await new Promise<string>((resolve) => {
    let s = '';
    stream.on('data', (d: Buffer) => (s += d.toString()));
    stream.on('end', () => resolve(s.replace(/\r/g, '')));
  });
  t.deepEqual(out.trim().split('\n'), ['1024 2048', '511', '1000', 'app-host']);
});

test('pull_policy never: an image absent from the host is an error naming it and the host, before any write; present, it is used without a pull', async (t) => {
  const name = uniqueStack('pnv');
  const absent = `${sandbox().registry}/busybox:absent-${name}`;
  const file = (image: string) =>
    `name: ${name}\nservices:\n  app:\n    image: ${image}\n    command: ["sleep", "3600"]\n    pull_policy: never\n`;
  const dir = onH1(t, file(absent));
  const since = await eventWindowStart();
  const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 1);
  t.regex(
    r.stderr,
    new RegExp(
      `image ${absent.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not present on host h1 and pull_policy is never`,
    ),
  );
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  t.deepEqual(await stackEvents(name, since), [], 'nothing written');

  writeFileSync(`${dir}/compose.yaml`, file(IMAGE()));
  const ok = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(ok.code, 0, ok.stdout + ok.stderr);
  t.is((await containersOf(name)).size, 1);
  // (Pull events cannot tell whose pull it was — other tests pull this image — so stack's own account.)
  t.notRegex(ok.stdout, /\+ image|✓ h1 pull/, 'no pull');
});

test('pull_policy always: pulled before every container it creates although present; an apply with nothing to create pulls nothing', async (t) => {
  const name = uniqueStack('pal');
  const file = (v: string) =>
    `name: ${name}\nservices:\n  app:\n    image: ${IMAGE()}\n    command: ["sleep", "3600"]\n    environment: { V: "${v}" }\n    pull_policy: always\n`;
  const dir = onH1(t, file('1'));
  const pullsSince = async (since: number) =>
    (await hostEvents(since, { type: ['image'] })).filter(
      ({ host, event }) => host === 'h1' && event.Action === 'pull' && event.Actor.ID === IMAGE(),
    ).length;
  const first = Date.now();
  const created = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(created.code, 0, created.stderr);
  t.regex(created.stdout, /\+ image \S+ +pull_policy always/);
  t.true((await pullsSince(first)) >= 1, 'pulled although present');

  const again = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, /no changes/);
  t.notRegex(again.stdout, /pull/, 'a no-op pulls nothing');

  writeFileSync(`${dir}/compose.yaml`, file('2'));
  const third = Date.now();
  const replaced = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(replaced.code, 0, replaced.stderr);
  t.regex(replaced.stdout, /✓ h1 pull /);
  t.true((await pullsSince(third)) >= 1, 'pulled again for the new container');
});

test("resources without stack's labels are never touched: a hand-made container, volume and network named like the stack's survive apply and destroy --prune-volumes", async (t) => {
  const name = uniqueStack('unl');
  const d = docker('h1');
  const handContainer = await d.createContainer({
    name: `${name}-app-9`,
    Image: IMAGE(),
    Cmd: ['sleep', '3600'],
    Labels: { [Labels.service]: 'app' },
  });
  await handContainer.start();
  await d.createVolume({ Name: `${name}_data2` });
  const handNet = await d.createNetwork({ Name: `${name}_default2` });
  t.teardown(async () => {
    await handContainer.remove({ force: true }).catch(() => undefined);
    await d
      .getVolume(`${name}_data2`)
      .remove()
      .catch(() => undefined);
    await handNet.remove().catch(() => undefined);
  });
  const dir = onH1(
    t,
    `name: ${name}\nservices:\n  app:\n    image: ${IMAGE()}\n    command: ["sleep", "3600"]\n    volumes: ["data:/data"]\n    deploy: { replicas: 2 }\nvolumes:\n  data: {}\n`,
  );
  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  t.deepEqual(
    [...(await containersOf(name)).keys()].sort(),
    [`${name}-app-1`, `${name}-app-2`],
    'its own replicas, numbered from 1',
  );
  const destroyed = await runStack(['destroy', '--yes', '--prune-volumes', '-i', 'inventory.yaml'], dir);
  t.is(destroyed.code, 0, destroyed.stdout + destroyed.stderr);
  t.is((await containersOf(name)).size, 0);
  t.is((await handContainer.inspect()).State.Status, 'running', 'the hand-made container runs on');
  t.truthy(await d.getVolume(`${name}_data2`).inspect());
  t.truthy(await handNet.inspect());
  t.false(
    (await d.listVolumes()).Volumes.some((v) => v.Name === `${name}_data`),
    'its own volume was pruned',
  );
});
