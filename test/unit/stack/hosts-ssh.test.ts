/**
 * ssh:// hosts: the inventory and DOCKER_HOST name them; the user, identity, known_hosts and agent come from the
 * inventory and the operator's environment; a stack file cannot name one; every bad setting is one clear error.
 */
import { chmodSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { loadStack } from '../../../src/stack/index.js';
import { errors, find, load, schema, where, writeTree } from './helpers.js';

const compose = 'services:\n  web: { image: busybox }\n';

/** Loads an inventory beside a key (mode `keyMode`) and a known_hosts. */
function inventory(text: string, env: Record<string, string> = {}, keyMode = 0o600) {
  const dir = writeTree({
    'compose.yaml': compose,
    'env/inventory.yaml': text,
    'env/id_deploy': 'KEY',
    'env/known_hosts': '',
  });
  chmodSync(path.join(dir, 'env/id_deploy'), keyMode);
  return loadStack({ cwd: dir, env, schema, inventory: 'env/inventory.yaml' });
}

test('an ssh:// host: identity and known_hosts resolve against the inventory, the user from USER, the agent from SSH_AUTH_SOCK', async (t) => {
  const dir = writeTree({
    'compose.yaml': compose,
    'env/inventory.yaml': [
      'known_hosts: known_hosts',
      'hosts:',
      '  a: { endpoint: "ssh://deploy@10.0.0.1:2222", identity: id_deploy, known_hosts: own_known_hosts, labels: { role: web } }',
      '  b: { endpoint: "ssh://box.example.com" }',
      '',
    ].join('\n'),
    'env/id_deploy': 'KEY',
    'env/known_hosts': '',
    'env/own_known_hosts': '',
    'home/.ssh/id_ecdsa': 'KEY',
  });
  chmodSync(path.join(dir, 'env/id_deploy'), 0o600);
  const env = { USER: 'ops', HOME: path.join(dir, 'home'), SSH_AUTH_SOCK: '/run/agent.sock' };
  const r = await loadStack({ cwd: dir, env, schema, inventory: 'env/inventory.yaml' });
  t.deepEqual(errors(r), []);
  t.deepEqual(r.value!.hosts, [
    {
      name: 'a',
      endpoint: {
        kind: 'ssh',
        user: 'deploy',
        host: '10.0.0.1',
        port: 2222,
        identity: path.join(dir, 'env/id_deploy'),
        knownHosts: [path.join(dir, 'env/own_known_hosts')],
        agent: '/run/agent.sock',
      },
      labels: { role: 'web' },
    },
    {
      name: 'b',
      endpoint: {
        kind: 'ssh',
        user: 'ops',
        host: 'box.example.com',
        port: 22,
        // OpenSSH's default identities, the first that exists; the inventory's global known_hosts.
        identity: path.join(dir, 'home/.ssh/id_ecdsa'),
        knownHosts: [path.join(dir, 'env/known_hosts')],
        agent: '/run/agent.sock',
      },
      labels: {},
    },
  ]);
});

test('without known_hosts in the inventory: ~/.ssh/known_hosts (which need not exist: every key is then unknown)', async (t) => {
  const r = await inventory('hosts:\n  a: { endpoint: "ssh://me@box" }\n', { HOME: '/nonexistent-home', USER: 'me' });
  t.deepEqual(errors(r), []);
  const e = r.value!.hosts[0].endpoint;
  t.is(e.kind, 'ssh');
  if (e.kind === 'ssh') {
    t.deepEqual(e.knownHosts, ['/nonexistent-home/.ssh/known_hosts']);
    t.is(e.identity, undefined);
    t.is(e.agent, undefined);
  }
});

test('an identity others can read, a missing identity or known_hosts: one error each, at the key, with what to do', async (t) => {
  const again = await inventory('hosts:\n  a: { endpoint: "ssh://me@box", identity: id_deploy }\n', {}, 0o644);
  const d = find(again, 'SSH identity file');
  t.regex(d.summary, /host a: SSH identity file .*id_deploy can be read or written by group or others \(mode 644\)/);
  t.regex(d.hint ?? '', /chmod 600/);
  t.is(where(d), 'env/inventory.yaml:2:44 hosts.a.identity');
  t.is(again.value, undefined);

  const missing = await inventory(
    'hosts:\n  a: { endpoint: "ssh://me@box", identity: nope, known_hosts: nope_hosts }\n',
  );
  t.regex(find(missing, 'SSH identity file').summary, /host a: SSH identity file .*nope does not exist/);
  t.is(where(find(missing, 'known_hosts file')), 'env/inventory.yaml:2:63 hosts.a.known_hosts');
  const global = await inventory('known_hosts: gone\nhosts:\n  a: { endpoint: "ssh://me@box" }\n');
  t.regex(find(global, 'known_hosts file').summary, /host a: known_hosts file .*gone does not exist/);
});

test('tls on an ssh host, identity or known_hosts on a unix or tcp host: refused', async (t) => {
  const r = await inventory(
    [
      'hosts:',
      '  a: { endpoint: "ssh://me@box", tls: false }',
      '  b: { endpoint: "unix:///run/docker.sock", identity: id_deploy }',
      '  c: { endpoint: "tcp://box:2376", tls: false, known_hosts: known_hosts }',
      '',
    ].join('\n'),
  );
  t.is(find(r, 'host a: tls applies to tcp:// endpoints only, not to ssh://').hint, 'remove tls:');
  t.is(where(find(r, 'host b: identity applies to ssh:// endpoints only')), 'env/inventory.yaml:3:55 hosts.b.identity');
  t.truthy(find(r, 'host c: known_hosts applies to ssh:// endpoints only'));
});

test('a stack file cannot name an ssh:// host: it would choose where the operator keys and agent are offered', async (t) => {
  const r = await load({
    'compose.yaml':
      'services:\n  web: { image: busybox }\nx-stack:\n  hosts:\n    evil: { endpoint: "ssh://root@attacker.example" }\n',
  });
  const d = find(r, 'a stack file cannot name an ssh:// endpoint');
  t.is(where(d), 'compose.yaml:5:23 x-stack.hosts.evil.endpoint');
  t.regex(d.hint ?? '', /inventory \(-i FILE\) or DOCKER_HOST/);
  t.is(r.value, undefined);
});

test('DOCKER_HOST=ssh://: one host named after the machine, the operator settings from the environment', async (t) => {
  const home = writeTree({ '.ssh/id_ed25519': 'KEY', '.ssh/known_hosts': '' });
  const r = await load(
    { 'compose.yaml': compose },
    { env: { DOCKER_HOST: 'ssh://me@box:2222', HOME: home, USER: 'x' } },
  );
  t.deepEqual(errors(r), []);
  t.is(r.value!.hostsSource, 'DOCKER_HOST');
  t.deepEqual(r.value!.hosts, [
    {
      name: 'box',
      endpoint: {
        kind: 'ssh',
        user: 'me',
        host: 'box',
        port: 2222,
        identity: path.join(home, '.ssh/id_ed25519'),
        knownHosts: [path.join(home, '.ssh/known_hosts')],
      },
      labels: {},
    },
  ]);
  const bad = await load({ 'compose.yaml': compose }, { env: { DOCKER_HOST: 'ssh://-oProxyCommand=id' } });
  t.truthy(find(bad, 'DOCKER_HOST="ssh://-oProxyCommand=id": ssh://-oProxyCommand=id: a host cannot start with -'));
  t.is(bad.value, undefined);
});
