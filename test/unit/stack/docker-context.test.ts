/**
 * Docker contexts as hosts: contexts made by the real docker CLI in a temporary DOCKER_CONFIG, used through
 * --context, DOCKER_CONTEXT, config.json's currentContext and an inventory's `context:`, in the docker CLI's order;
 * ssh:// contexts with the operator's SSH settings; and every refusal (unknown, malformed, plain tcp, partial TLS,
 * a stack file naming one).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { contextId } from '../../../src/stack/docker-context.js';
import { loadStack, type LoadOptions } from '../../../src/stack/index.js';
import { errors, find, schema, warnings, where, writeTree } from './helpers.js';

const DOCKER = ['/usr/bin/docker', '/usr/local/bin/docker'].find((p) => {
  try {
    execFileSync(p, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})!;

/** A fresh DOCKER_CONFIG with client TLS files in it and contexts made by `docker context create`. */
function dockerConfig(contexts: Record<string, string>): { dir: string; pem: Record<string, string> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-docker-config-'));
  const pem = { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
  // A self-signed certificate (the docker CLI checks the PEM files it copies into its store).
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-keyout',
      pem.key,
      '-out',
      pem.cert,
      '-days',
      '1',
      '-subj',
      '/CN=stack-test',
    ]),
    { stdio: 'ignore' },
  );
  copyFileSync(pem.cert, pem.ca);
  for (const [name, docker] of Object.entries(contexts))
    execFileSync(DOCKER, ['context', 'create', name, '--docker', docker], {
      env: { ...process.env, DOCKER_CONFIG: dir },
      stdio: 'ignore',
    });
  return { dir, pem };
}

const tlsOf = (dir: string, name: string) => {
  const folder = path.join(dir, 'contexts', 'tls', contextId(name), 'docker');
  return { ca: path.join(folder, 'ca.pem'), cert: path.join(folder, 'cert.pem'), key: path.join(folder, 'key.pem') };
};

function withTls(pem: Record<string, string>, host: string): string {
  return `host=${host},ca=${pem.ca},cert=${pem.cert},key=${pem.key}`;
}

async function load(files: Record<string, string>, options: Partial<LoadOptions>) {
  const cwd = writeTree({ 'compose.yaml': 'services:\n  web: { image: busybox }\n', ...files });
  return loadStack({ cwd, env: {}, schema, ...options });
}

test('--context uses the context store: endpoint and TLS files; the host is named as DOCKER_HOST would name it', async (t) => {
  const { dir, pem } = dockerConfig({});
  execFileSync(DOCKER, ['context', 'create', 'prod', '--docker', withTls(pem, 'tcp://10.77.0.11:2376')], {
    env: { ...process.env, DOCKER_CONFIG: dir },
    stdio: 'ignore',
  });
  const r = await load({}, { context: 'prod', dockerConfigDir: dir });
  t.deepEqual(errors(r), []);
  t.is(r.value!.hostsSource, 'context');
  t.deepEqual(r.value!.hosts, [
    {
      name: '10.77.0.11',
      endpoint: { kind: 'tcp', host: '10.77.0.11', port: 2376, tls: tlsOf(dir, 'prod') },
      labels: {},
    },
  ]);
});

test('the docker CLI order: --context > DOCKER_HOST > DOCKER_CONTEXT > currentContext; -i wins over all', async (t) => {
  const { dir } = dockerConfig({
    ca: 'host=unix:///run/a.sock',
    cb: 'host=unix:///run/b.sock',
    cc: 'host=unix:///run/c.sock',
  });
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ currentContext: 'cc' }));
  const socket = async (options: Partial<LoadOptions>) => {
    const r = await load(
      { 'inv.yaml': 'hosts:\n  i1: { endpoint: "unix:///run/i.sock" }\n' },
      { dockerConfigDir: dir, ...options },
    );
    t.deepEqual(errors(r), []);
    const e = r.value!.hosts[0].endpoint;
    return `${r.value!.hostsSource} ${e.kind === 'unix' ? e.path : ''}`;
  };
  const env = { DOCKER_HOST: 'unix:///run/env.sock', DOCKER_CONTEXT: 'cb' };
  t.is(await socket({ context: 'ca', env }), 'context /run/a.sock');
  t.is(await socket({ env }), 'DOCKER_HOST /run/env.sock');
  t.is(await socket({ env: { DOCKER_CONTEXT: 'cb' } }), 'context /run/b.sock');
  t.is(await socket({ env: {} }), 'context /run/c.sock');
  t.is(await socket({ context: 'ca', env, inventory: 'inv.yaml' }), 'inventory /run/i.sock');
  t.is(await socket({ context: 'default', env }), 'DOCKER_HOST /run/env.sock', 'default: DOCKER_HOST');
  t.is(await socket({ context: 'default', env: {} }), 'local-socket /var/run/docker.sock', 'default: the local socket');
});

test("x-stack.hosts yields to the operator's context, with the usual warning", async (t) => {
  const { dir } = dockerConfig({ ca: 'host=unix:///run/a.sock' });
  const r = await load(
    {
      'compose.yaml':
        'services:\n  web: { image: busybox }\nx-stack:\n  hosts:\n    x1: { endpoint: "unix:///tmp/x.sock" }\n',
    },
    { context: 'ca', dockerConfigDir: dir },
  );
  t.deepEqual(errors(r), []);
  t.is(r.value!.hostsSource, 'context');
  t.regex(find(r, 'x-stack.hosts is ignored').summary, /docker context ca \(--context\)/);
});

test("an inventory's context: names the host's endpoint and TLS; tls: false accepts a plain tcp context, warned", async (t) => {
  const { dir, pem } = dockerConfig({});
  const env = { ...process.env, DOCKER_CONFIG: dir };
  execFileSync(DOCKER, ['context', 'create', 'tls', '--docker', withTls(pem, 'tcp://10.77.0.12:2376')], {
    env,
    stdio: 'ignore',
  });
  execFileSync(DOCKER, ['context', 'create', 'plain', '--docker', 'host=tcp://10.77.0.13:2375'], {
    env,
    stdio: 'ignore',
  });
  const r = await load(
    {
      'inv.yaml':
        'hosts:\n  h1: { context: tls, labels: { role: web } }\n  h2: { context: plain, tls: false }\n  h3: { context: default }\n',
    },
    { inventory: 'inv.yaml', dockerConfigDir: dir },
  );
  t.deepEqual(errors(r), []);
  t.deepEqual(r.value!.hosts, [
    {
      name: 'h1',
      endpoint: { kind: 'tcp', host: '10.77.0.12', port: 2376, tls: tlsOf(dir, 'tls') },
      labels: { role: 'web' },
    },
    { name: 'h2', endpoint: { kind: 'tcp', host: '10.77.0.13', port: 2375, tls: false }, labels: {} },
    { name: 'h3', endpoint: { kind: 'unix', path: '/var/run/docker.sock' }, labels: {} },
  ]);
  t.regex(warnings(r)[0].summary, /host h2 is reached over plain tcp/);
});

test('refusals name the context and the file, with what to do; nothing else is read', async (t) => {
  const { dir, pem } = dockerConfig({
    plain: 'host=tcp://10.77.0.13:2375',
  });
  execFileSync(DOCKER, ['context', 'create', 'caonly', '--docker', `host=tcp://10.77.0.14:2376,ca=${pem.ca}`], {
    env: { ...process.env, DOCKER_CONFIG: dir },
    stdio: 'ignore',
  });
  const broken = path.join(dir, 'contexts', 'meta', contextId('broken'));
  mkdirSync(broken, { recursive: true });
  writeFileSync(path.join(broken, 'meta.json'), '{"Name":"broken","Endpoints":{"docker":{"Host":42}}}');
  const skip = path.join(dir, 'contexts', 'meta', contextId('skip'));
  mkdirSync(skip, { recursive: true });
  writeFileSync(
    path.join(skip, 'meta.json'),
    '{"Name":"skip","Endpoints":{"docker":{"Host":"tcp://10.77.0.15:2376","SkipTLSVerify":true}}}',
  );
  const refusal = async (context: string, options: Partial<LoadOptions> = {}) => {
    const r = await load({}, { context, dockerConfigDir: dir, ...options });
    t.is(r.value, undefined);
    t.is(
      errors(r).length,
      1,
      errors(r)
        .map((d) => d.summary)
        .join('\n'),
    );
    return errors(r)[0];
  };
  const unknown = await refusal('nope');
  t.is(
    unknown.summary,
    `--context: docker context "nope" does not exist in ${dir} (no ${path.join(dir, 'contexts', 'meta', contextId('nope'), 'meta.json')})`,
  );
  t.regex(unknown.hint!, /docker context ls/);
  t.is(
    (await refusal('broken')).summary,
    `--context: docker context "broken": ${path.join(broken, 'meta.json')} is malformed (Endpoints.docker.Host is not a string)`,
  );
  t.regex(
    (await refusal('plain')).summary,
    /docker context plain reaches tcp:\/\/10.77.0.13:2375 without TLS: refused/,
  );
  t.regex((await refusal('caonly')).summary, /TLS folder .* has no cert.pem or key.pem/);
  t.regex((await refusal('bad/name')).summary, /is not a valid context name/);
  t.regex((await refusal('skip')).summary, /skips the daemon's certificate check \(SkipTLSVerify\)/);
  const allowed = await load({}, { context: 'plain', dockerConfigDir: dir, allowInsecureTcp: true });
  t.deepEqual(errors(allowed), []);
  t.regex(warnings(allowed)[0].summary, /--allow-insecure-tcp/);
});

test("an ssh:// context goes through the ssh transport with the operator's SSH settings, from --context and from an inventory", async (t) => {
  const { dir } = dockerConfig({ remote: 'host=ssh://me@example.org:2222' });
  const home = writeTree({ '.ssh/known_hosts': '', '.ssh/id_ed25519': 'key' });
  const env = { HOME: home, USER: 'op', SSH_AUTH_SOCK: '/run/agent.sock' };
  const fromFlag = await load({}, { context: 'remote', dockerConfigDir: dir, env });
  t.deepEqual(errors(fromFlag), []);
  t.is(fromFlag.value!.hostsSource, 'context');
  t.deepEqual(fromFlag.value!.hosts, [
    {
      name: 'example.org',
      endpoint: {
        kind: 'ssh',
        host: 'example.org',
        port: 2222,
        user: 'me',
        identity: path.join(home, '.ssh', 'id_ed25519'),
        knownHosts: [path.join(home, '.ssh', 'known_hosts')],
        agent: '/run/agent.sock',
      },
      labels: {},
    },
  ]);
  const inv = await load(
    {
      'inv.yaml': 'hosts:\n  h1: { context: remote, known_hosts: kh }\n  h2: { context: remote, tls: false }\n',
      kh: '',
    },
    { inventory: 'inv.yaml', dockerConfigDir: dir, env },
  );
  t.is(inv.value, undefined);
  t.truthy(find(inv, 'host h2: tls applies to tcp:// endpoints only, not to ssh://'));
  const ok = await load(
    { 'inv.yaml': 'hosts:\n  h1: { context: remote, known_hosts: kh }\n', kh: '' },
    { inventory: 'inv.yaml', dockerConfigDir: dir, env },
  );
  t.deepEqual(errors(ok), []);
  const endpoint = ok.value!.hosts[0].endpoint;
  t.is(endpoint.kind, 'ssh');
  if (endpoint.kind === 'ssh') t.deepEqual(endpoint.knownHosts, [path.join(ok.value!.workingDir, 'kh')]);
});

test('DOCKER_CONTEXT and currentContext say where they came from; a malformed config.json is one error naming it', async (t) => {
  const { dir } = dockerConfig({});
  const fromEnv = await load({}, { env: { DOCKER_CONTEXT: 'gone' }, dockerConfigDir: dir });
  t.regex(errors(fromEnv)[0].summary, /^DOCKER_CONTEXT: docker context "gone" does not exist/);
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ currentContext: 'gone' }));
  const current = await load({}, { env: {}, dockerConfigDir: dir });
  t.regex(errors(current)[0].summary, /^currentContext in .*config\.json: docker context "gone" does not exist/);
  writeFileSync(path.join(dir, 'config.json'), '{ not json');
  const bad = await load({}, { env: {}, dockerConfigDir: dir });
  t.regex(errors(bad)[0].summary, /^Docker config file .*config\.json is not valid JSON/);
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ currentContext: 'default' }));
  t.is(
    (await load({}, { env: {}, dockerConfigDir: dir, localSocketPath: '/nonexistent' })).value!.hostsSource,
    'local-socket',
  );
});

test('a stack file cannot name a context (x-stack.hosts): refused at file:line:col; an inventory host needs endpoint or context, not both', async (t) => {
  const { dir } = dockerConfig({ ca: 'host=unix:///run/a.sock' });
  const r = await load(
    { 'compose.yaml': 'services:\n  web: { image: busybox }\nx-stack:\n  hosts:\n    x1: { context: ca }\n' },
    { dockerConfigDir: dir },
  );
  const refused = find(r, "context: is for the operator's inventory only");
  t.is(where(refused), 'compose.yaml:5:20 x-stack.hosts.x1.context');
  const inv = await load(
    { 'inv.yaml': 'hosts:\n  h1: { context: ca, endpoint: "unix:///run/x.sock" }\n  h2: { labels: {} }\n' },
    { inventory: 'inv.yaml', dockerConfigDir: dir },
  );
  t.truthy(find(inv, 'host h1: has both endpoint: and context:'));
  t.truthy(find(inv, 'host h2: has neither endpoint: nor context:'));
});

test("an inventory's builder: local is the docker CLI's daemon: DOCKER_HOST > DOCKER_CONTEXT > currentContext > the local socket", async (t) => {
  const { dir } = dockerConfig({ ci: 'host=unix:///run/ci-builder.sock', other: 'host=unix:///run/other.sock' });
  const files = {
    'inventory.yaml': 'hosts:\n  h1: { endpoint: "unix:///run/h1.sock" }\nregistry: r.example:5000\nbuilder: local\n',
    'compose.yaml': 'services:\n  web: { build: . }\n',
    Dockerfile: 'FROM busybox\n',
  };
  const builderOf = async (env: Record<string, string>, config = dir) => {
    const r = await load(files, { inventory: 'inventory.yaml', env, dockerConfigDir: config });
    t.deepEqual(errors(r), []);
    return r.value!.settings.build!.builder;
  };
  const fromHost = await builderOf({ DOCKER_HOST: 'unix:///run/from-env.sock', DOCKER_CONTEXT: 'ci' });
  t.is(fromHost.name, 'local');
  t.deepEqual(fromHost.endpoint, { kind: 'unix', path: '/run/from-env.sock' });
  t.deepEqual((await builderOf({ DOCKER_CONTEXT: 'ci' })).endpoint, { kind: 'unix', path: '/run/ci-builder.sock' });
  writeFileSync(path.join(dir, 'config.json'), '{"currentContext": "other"}');
  t.deepEqual((await builderOf({})).endpoint, { kind: 'unix', path: '/run/other.sock' });
  const empty = mkdtempSync(path.join(os.tmpdir(), 'stack-docker-config-'));
  t.deepEqual((await builderOf({}, empty)).endpoint, { kind: 'unix', path: '/var/run/docker.sock' });
  const missing = await load(files, {
    inventory: 'inventory.yaml',
    env: { DOCKER_CONTEXT: 'nope' },
    dockerConfigDir: dir,
  });
  t.regex(find(missing, 'docker context "nope" does not exist').summary, /DOCKER_CONTEXT/);
});
