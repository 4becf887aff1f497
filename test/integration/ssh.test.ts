/**
 * ssh:// on the real sandbox (each host's sshd runs `docker system dial-stdio` against its own dockerd): a host key
 * that is unknown or changed stops the run before any write, naming the host and the key's SHA256 fingerprint (as
 * `ssh-keygen -l` prints it); the SSH-only host s1 (no tcp listener) is planned and applied; DOCKER_HOST=ssh://
 * reaches one host with the operator's ~/.ssh; a closed SSH port makes the host unreachable, named once.
 * The apply / no-op / change cycles over ssh:// are in reconcile.test.ts and cli-apply.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import Docker from 'dockerode';
import { Labels } from '../../src/labels.js';
import { repoRoot, sandbox as readSandbox, sandboxSsh } from '../helpers/sandbox.js';
import {
  cleanup,
  containersOf,
  desiredFor,
  stackEvents,
  uniqueStack,
  IMAGE,
  eventWindowStart,
} from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir, type InventoryHost } from './cli-helpers.js';

test.before(() => ensureBuilt());

const MAIN = ['h1', 'h2', 'h3'];
const s = { ...readSandbox(), ssh: sandboxSsh() };

function stackFile(name: string, pool = 'main'): string {
  return (
    `name: ${name}\nservices:\n  app:\n    image: ${IMAGE()}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n` +
    `    deploy:\n      replicas: 3\n      placement:\n        constraints: ["node.labels.pool == ${pool}"]\n`
  );
}

/** The fingerprint of a sandbox host's key, as `ssh-keygen -l` prints it (SHA256:…). */
function hostFingerprint(host: string): string {
  const pub = path.join(s.ssh.hostKeys, host, 'host_ed25519_key.pub');
  return execFileSync('ssh-keygen', ['-l', '-f', pub], { encoding: 'utf8' }).split(' ')[1];
}

/** The main hosts over ssh://, with `knownHosts` as their known_hosts file. */
function sshHosts(knownHosts: string): InventoryHost[] {
  return sandboxHosts(MAIN, 'ssh').map((h) => ({ ...h, knownHosts }));
}

test('an unknown host key: exit 1 naming the host and its fingerprint, nothing written anywhere', async (t) => {
  const name = uniqueStack('ku');
  const dir = writeDir({ 'compose.yaml': stackFile(name), known_hosts: '' });
  // h1 and h3 are known, h2 is not: the run stops before any host gets a write.
  const known = readFileSync(s.ssh.knownHosts, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith(`${s.hosts.find((h) => h.name === 'h2')!.ip} `))
    .join('\n');
  writeFileSync(path.join(dir, 'known_hosts'), known);
  writeFileSync(path.join(dir, 'inventory.yaml'), inventoryYaml(sshHosts(path.join(dir, 'known_hosts'))));
  cleanup(t, desiredFor(name, [], 'socket'));
  const since = await eventWindowStart();
  const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 1, r.stdout + r.stderr);
  const h2 = s.hosts.find((h) => h.name === 'h2')!;
  t.regex(
    r.stderr,
    new RegExp(
      `host h2: .*ssh ${h2.ip.replaceAll('.', '\\.')}: host key ssh-ed25519 ${escape(hostFingerprint('h2'))} is not in known_hosts`,
    ),
  );
  t.regex(r.stderr, /never accepts an unknown key/);
  t.notRegex(r.stderr, /host h[13]: /, 'only h2 is named');
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  t.deepEqual(await stackEvents(name, since), []);
  t.is((await containersOf(name)).size, 0);
  t.is(readFileSync(path.join(dir, 'known_hosts'), 'utf8'), known, 'known_hosts is not changed');
});

test('a changed host key: exit 1 naming the host, the presented fingerprint and the known entry; nothing written', async (t) => {
  const name = uniqueStack('kc');
  const dir = writeDir({ 'compose.yaml': stackFile(name) });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'other')]);
  const other = readFileSync(path.join(dir, 'other.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  const h3 = s.hosts.find((h) => h.name === 'h3')!;
  const known = readFileSync(s.ssh.knownHosts, 'utf8')
    .split('\n')
    .map((l) => (l.startsWith(`${h3.ip} `) ? `${h3.ip} ${other}` : l))
    .join('\n');
  writeFileSync(path.join(dir, 'known_hosts'), known);
  writeFileSync(path.join(dir, 'inventory.yaml'), inventoryYaml(sshHosts(path.join(dir, 'known_hosts'))));
  cleanup(t, desiredFor(name, [], 'socket'));
  const since = await eventWindowStart();
  for (const command of ['plan', 'apply']) {
    const r = await runStack([command, ...(command === 'apply' ? ['--yes'] : []), '-i', 'inventory.yaml'], dir);
    t.is(r.code, 1, r.stdout + r.stderr);
    t.regex(
      r.stderr,
      new RegExp(`host h3: .*HOST KEY CHANGED: it presents ssh-ed25519 ${escape(hostFingerprint('h3'))}`),
    );
    t.regex(r.stderr, new RegExp(`known_hosts has ssh-ed25519 at ${escape(path.join(dir, 'known_hosts'))}:3`));
    t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  }
  t.deepEqual(await stackEvents(name, since), []);
  t.is((await containersOf(name)).size, 0);
});

test.serial('the SSH-only host s1 (no tcp listener) is planned and applied over ssh://, and destroyed', async (t) => {
  const only = s.ssh.sshOnly[0];
  t.truthy(only, 'the default sandbox has an SSH-only host');
  const name = uniqueStack('so');
  const host: InventoryHost = {
    name: only.name,
    endpoint: only.ssh,
    labels: { pool: 'sshonly' },
    identity: s.ssh.identity,
    knownHosts: s.ssh.knownHosts,
  };
  const dir = writeDir({ 'compose.yaml': stackFile(name, 'sshonly'), 'inventory.yaml': inventoryYaml([host]) });
  // Its Engine listens on its unix socket only: the sandbox's own way in, for checking what the run did.
  const engine = new Docker({ socketPath: only.socket.replace('unix://', '') });
  const ours = async () =>
    (await engine.listContainers({ all: true, filters: { label: [`${Labels.stack}=${name}`] } })).map((c) => c.State);
  t.teardown(() => runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir).then(() => undefined));

  const plan = await runStack(['plan', '-i', 'inventory.yaml'], dir);
  t.is(plan.code, 0, plan.stderr);
  t.regex(plan.stdout, new RegExp(`${name}-app-3`));
  const apply = await runStack(['apply', '--yes', '--json', '-i', 'inventory.yaml'], dir);
  t.is(apply.code, 0, apply.stderr);
  const summary = JSON.parse(apply.stdout.trim().split('\n').at(-1)!);
  t.true(summary.ok);
  t.true(summary.calls[only.name].writes >= 6);
  t.deepEqual(await ours(), ['running', 'running', 'running']);

  const again = await runStack(['apply', '--yes', '--json', '-i', 'inventory.yaml'], dir);
  t.is(again.code, 0, again.stderr);
  t.is(JSON.parse(again.stdout.trim().split('\n').at(-1)!).calls[only.name].writes, 0, 'a no-op writes nothing');

  const destroy = await runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(destroy.code, 0, destroy.stderr);
  t.deepEqual(await ours(), []);
});

test("DOCKER_HOST=ssh://root@HOST: one host, the operator's ~/.ssh key and known_hosts", async (t) => {
  const h1 = s.hosts.find((h) => h.name === 'h1')!;
  const name = uniqueStack('dh');
  const dir = writeDir({
    'compose.yaml': `name: ${name}\nservices:\n  app:\n    image: ${IMAGE()}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n`,
  });
  const home = path.join(dir, 'home');
  mkdirSync(path.join(home, '.ssh'), { recursive: true });
  copyFileSync(s.ssh.identity, path.join(home, '.ssh', 'id_ed25519'));
  chmodSync(path.join(home, '.ssh', 'id_ed25519'), 0o600);
  copyFileSync(s.ssh.knownHosts, path.join(home, '.ssh', 'known_hosts'));
  cleanup(t, desiredFor(name, [], 'socket'));
  const env = { DOCKER_HOST: s.ssh.hosts.h1, HOME: home };
  const r = await runStack(['apply', '--yes', '--json'], dir, env);
  t.is(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  t.deepEqual(Object.keys(summary.calls), [h1.ip], 'one host, named after the endpoint');
  const found = await containersOf(name);
  t.deepEqual(
    [...found.values()].map((f) => `${f.host} ${f.info.State}`),
    ['h1 running'],
  );
  const destroy = await runStack(['destroy', '--yes'], dir, env);
  t.is(destroy.code, 0, destroy.stderr);
  t.is((await containersOf(name)).size, 0);
});

test('an SSH port nobody listens on: the host is unreachable, named once, nothing written', async (t) => {
  const name = uniqueStack('sp');
  const h1 = s.hosts.find((h) => h.name === 'h1')!;
  const hosts = sshHosts(s.ssh.knownHosts).map((h) =>
    h.name === 'h1' ? { ...h, endpoint: `ssh://root@${h1.ip}:2222` } : h,
  );
  const dir = writeDir({ 'compose.yaml': stackFile(name), 'inventory.yaml': inventoryYaml(hosts) });
  cleanup(t, desiredFor(name, [], 'socket'));
  const since = await eventWindowStart();
  const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(r.stderr, /host h1 is unreachable: .*ECONNREFUSED|host h1 is unreachable: .*refused/i);
  t.is(r.stderr.match(/host h1 is unreachable/g)?.length, 1, r.stderr);
  t.deepEqual(await stackEvents(name, since), []);
});

test.serial(
  "s1's dockerd stopped, its sshd up: dial-stdio fails, and the host is unreachable, named once with why",
  async (t) => {
    const only = s.ssh.sshOnly[0];
    const script = path.join(repoRoot, 'deploy', 'sandbox', 'sandbox.sh');
    const name = uniqueStack('sd');
    const host: InventoryHost = {
      name: only.name,
      endpoint: only.ssh,
      labels: { pool: 'sshonly' },
      identity: s.ssh.identity,
      knownHosts: s.ssh.knownHosts,
    };
    const dir = writeDir({ 'compose.yaml': stackFile(name, 'sshonly'), 'inventory.yaml': inventoryYaml([host]) });
    execFileSync('bash', [script, 'stop-host', only.name]);
    t.teardown(() => void execFileSync('bash', [script, 'start-host', only.name]));
    const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
    t.is(r.code, 1, r.stdout + r.stderr);
    t.regex(r.stderr, /host s1 is unreachable: .*docker system dial-stdio failed: .*docker\.sock/);
    t.is(r.stderr.match(/host s1 is unreachable/g)?.length, 1, r.stderr);
  },
);

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
