/**
 * Faults on the real sandbox (h1–h3): an unreachable host is an error before any write (or, with
 * --skip-unreachable, left out and named); a bad stack file writes nothing anywhere; anonymous
 * volumes survive a replace. Zero-write claims are checked on the hosts' event streams.
 */
import test from 'ava';
import { Labels } from '../../src/labels.js';
import {
  cleanup,
  containersOf,
  deploy,
  desiredFor,
  docker,
  service,
  stackEvents,
  uniqueStack,
  IMAGE,
  eventWindowStart,
} from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';

test.before(() => ensureBuilt());

const MAIN = ['h1', 'h2', 'h3'];
/** A host whose endpoint is a socket path that does not exist. */
const GONE = {
  name: 'h9',
  endpoint: 'unix:///run/stack-sandbox/h9-does-not-exist/docker.sock',
  labels: { pool: 'main' },
};

function stackFile(name: string, replicas = 3): string {
  return `name: ${name}\nservices:\n  app:\n    image: ${IMAGE()}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n    deploy:\n      replicas: ${replicas}\n      placement:\n        constraints: ["node.labels.pool == main"]\n`;
}

test('a host unreachable at observe time: exit 1 naming it, zero events on h1–h3', async (t) => {
  const name = uniqueStack('u');
  const dir = writeDir({
    'compose.yaml': stackFile(name),
    'inventory.yaml': inventoryYaml([...sandboxHosts(MAIN), GONE]),
  });
  cleanup(t, desiredFor(name, [], 'socket'));
  const since = await eventWindowStart();
  const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(r.stderr, /host h9 is unreachable: .*(ENOENT|no such file)/i);
  t.regex(r.stderr, /--skip-unreachable/);
  t.deepEqual(await stackEvents(name, since), []);
  t.is((await containersOf(name)).size, 0);
});

test('--skip-unreachable: the reachable hosts are planned and applied, the output names the host left out', async (t) => {
  const name = uniqueStack('s');
  const dir = writeDir({
    'compose.yaml': stackFile(name),
    'inventory.yaml': inventoryYaml([...sandboxHosts(MAIN), GONE]),
  });
  cleanup(t, desiredFor(name, [], 'socket'));
  const plan = await runStack(['plan', '--skip-unreachable', '-i', 'inventory.yaml'], dir);
  t.is(plan.code, 0, plan.stdout + plan.stderr);
  t.regex(plan.stdout, /warning: .*host h9 left out: unreachable/);
  const r = await runStack(['apply', '--yes', '--skip-unreachable', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /warning: .*host h9 left out: unreachable/);
  const found = await containersOf(name);
  t.deepEqual(
    [...found.keys()].sort(),
    [1, 2, 3].map((i) => `${name}-app-${i}`),
  );
  t.deepEqual([...new Set([...found.values()].map((f) => f.host))].sort(), MAIN);
  for (const f of found.values()) t.is(f.info.State, 'running');
});

test('a bad stack file: exit 1, one message saying where, zero events on every host', async (t) => {
  const name = uniqueStack('f');
  const bad = `name: ${name}\nservices:\n  app:\n    image: ${IMAGE()}\n    restart: sometimes\n    deploy:\n      replicas: 2\n`;
  const dir = writeDir({ 'compose.yaml': bad, 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
  const since = await eventWindowStart();
  for (const cmd of [['apply', '--yes'], ['plan'], ['destroy', '--yes']]) {
    const r = await runStack([...cmd, '-i', 'inventory.yaml'], dir);
    t.is(r.code, 1, cmd.join(' '));
    t.regex(r.stderr, /compose\.yaml:5:\d+ services\.app\.restart/);
  }
  t.deepEqual(await stackEvents(name, since), []);
  t.is((await containersOf(name)).size, 0);
});

async function exec(host: string, container: string, cmd: string[]): Promise<string> {
  const e = await docker(host)
    .getContainer(container)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: true });
  const stream = await e.start({ hijack: true, stdin: false, Tty: true });
  const out = await new Promise<string>((resolve, reject) => {
    let s = '';
    stream.on('data', (d: Buffer) => (s += d.toString()));
    stream.on('end', () => resolve(s));
    stream.on('error', reject);
  });
  return out.trim();
}

test('anonymous volumes of a replaced container are carried over to the new one', async (t) => {
  const name = uniqueStack('v');
  const svc = (release: string) =>
    service('app', {
      image: IMAGE(),
      command: ['sleep', '3600'],
      environment: { RELEASE: release },
      stopGracePeriodNs: 1e9,
      mounts: [{ type: 'volume', target: '/data', readOnly: false }],
      deploy: { replicas: 2 },
    });
  const d1 = desiredFor(name, [svc('v1')], 'socket');
  cleanup(t, d1);
  t.true((await deploy(d1)).result?.ok);
  const before = await containersOf(name);
  const volumes = new Map<string, string>();
  for (const [cname, { host, info }] of before) {
    const anon = info.Mounts.find((m) => m.Destination === '/data');
    t.regex(String(anon?.Name), /^[0-9a-f]{64}$/);
    volumes.set(cname, anon!.Name!);
    await exec(host, cname, ['sh', '-c', `echo kept-${cname} > /data/file`]);
  }
  const second = await deploy(desiredFor(name, [svc('v2')], 'socket'));
  t.true(second.result?.ok, JSON.stringify(second.result?.failures));
  t.true(second.plan.changes.every((c) => c.action === 'replace'));
  const after = await containersOf(name);
  t.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  for (const [cname, { host, info }] of after) {
    t.not(info.Id, before.get(cname)!.info.Id, 'replaced');
    t.is(info.Labels[Labels.slot], before.get(cname)!.info.Labels[Labels.slot]);
    t.is(info.Mounts.find((m) => m.Destination === '/data')?.Name, volumes.get(cname));
    t.is(await exec(host, cname, ['cat', '/data/file']), `kept-${cname}`);
    t.true((await docker(host).getContainer(cname).inspect()).Config.Env.includes('RELEASE=v2'));
  }
});
