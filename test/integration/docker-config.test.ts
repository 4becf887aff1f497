/**
 * What the operator's Docker CLI configuration gives stack, end to end through the built CLI on the sandbox:
 * contexts made with the real `docker context create` (tcp+TLS and a unix socket) used by --context,
 * DOCKER_CONTEXT and an inventory's `context:`, an ssh:// context to the SSH-only host s1 (through the ssh transport,
 * host key checked), with the errors for an unknown or broken context; and a private
 * image pulled through the sandbox's credential helper (`docker-credential-sandbox`) with no credential in the
 * inventory, the inventory's own registries: winning over a helper, and a missing helper stopping the run with
 * nothing written; a run that pulls nothing from a registry asks no helper (lookups are lazy).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Docker from 'dockerode';
import { Labels } from '../../src/labels.js';
import { contextId } from '../../src/stack/docker-context.js';
import { engine, sandbox, sandboxSsh, type SandboxHost } from '../helpers/sandbox.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir, type CliResult } from './cli-helpers.js';
import { eventWindowStart, stackEvents, uniqueStack } from './reconcile-helpers.js';

test.before(() => ensureBuilt());

const host = (name: string): SandboxHost => sandbox().hosts.find((h) => h.name === name)!;

/** A fresh DOCKER_CONFIG folder; `docker context create` in it with the sandbox's docker CLI. */
function dockerConfig(): { dir: string; create: (name: string, docker: string) => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-docker-config-'));
  const create = (name: string, docker: string) =>
    execFileSync(sandbox().dockerCli, ['context', 'create', name, '--docker', docker], {
      env: { ...process.env, DOCKER_CONFIG: dir },
      stdio: 'ignore',
    });
  return { dir, create };
}

const composeFor = (name: string, image: string) =>
  `name: ${name}\nservices:\n  app:\n    image: ${image}\n    command: [sleep, "3600"]\n    stop_grace_period: 1s\n`;

async function running(h: string, name: string): Promise<boolean> {
  const list = await engine(host(h)).listContainers({ all: true, filters: { name: [`^/${name}-app-1$`] } });
  return list.length === 1 && list[0].State === 'running';
}

/** Runs `stack destroy` with the same arguments after the test, whatever happened. */
function destroyAfter(t: ExecutionContext, args: string[], dir: string, env: Record<string, string>): void {
  t.teardown(async () => {
    await runStack(['destroy', '--yes', ...args], dir, env);
  });
}

const ok = (t: ExecutionContext, r: CliResult) => t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);

test('--context NAME and DOCKER_CONTEXT: a context made by `docker context create` over tcp+TLS plans and applies on its host', async (t) => {
  const name = uniqueStack('ctx-tls');
  const h1 = host('h1');
  const { dir: config, create } = dockerConfig();
  create(name, `host=${h1.tcp},ca=${h1.tls.ca},cert=${h1.tls.cert},key=${h1.tls.key}`);
  const dir = writeDir({ 'compose.yaml': composeFor(name, sandbox().images.busybox) });
  const env = { DOCKER_CONFIG: config };
  destroyAfter(t, ['--context', name], dir, env);
  ok(t, await runStack(['apply', '--yes', '--context', name], dir, env));
  t.true(await running('h1', name));
  const again = await runStack(['plan', '--detailed-exitcode'], dir, { ...env, DOCKER_CONTEXT: name });
  t.is(again.code, 0, 'DOCKER_CONTEXT names the same host: nothing to do');
  t.regex(again.stdout, /[Nn]o changes/);
});

test("an inventory's context: (a unix-socket context and a TLS one) places services by the inventory's labels", async (t) => {
  const name = uniqueStack('ctx-inv');
  const [h2, h3] = [host('h2'), host('h3')];
  const { dir: config, create } = dockerConfig();
  create(`${name}-sock`, `host=${h2.socket}`);
  create(`${name}-tls`, `host=${h3.tcp},ca=${h3.tls.ca},cert=${h3.tls.cert},key=${h3.tls.key}`);
  const dir = writeDir({
    'compose.yaml': `${composeFor(name, sandbox().images.busybox)}    deploy: { mode: global }\n`,
    'inventory.yaml': `hosts:\n  h2: { context: ${name}-sock, labels: { role: web } }\n  h3: { context: ${name}-tls }\n`,
  });
  const env = { DOCKER_CONFIG: config };
  destroyAfter(t, ['-i', 'inventory.yaml'], dir, env);
  ok(t, await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir, env));
  const found = await Promise.all(
    ['h2', 'h3'].map((h) => engine(host(h)).listContainers({ filters: { label: [`${Labels.stack}=${name}`] } })),
  );
  t.deepEqual(
    found.map((l) => l.length),
    [1, 1],
  );
  t.is((await runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir, env)).code, 0);
});

test("an ssh:// context (docker context create … host=ssh://root@s1) reaches the SSH-only host s1 through the ssh transport, from --context with the operator's ~/.ssh and from an inventory's context: with identity and known_hosts", async (t) => {
  const ssh = sandboxSsh();
  const only = ssh.sshOnly[0];
  const name = uniqueStack('ctx-ssh');
  const { dir: config, create } = dockerConfig();
  create(name, `host=${only.ssh}`);
  const dir = writeDir({
    'compose.yaml': composeFor(name, sandbox().images.busybox),
    'inventory.yaml': `hosts:\n  s1: { context: ${name}, identity: ${ssh.identity}, known_hosts: ${ssh.knownHosts} }\n`,
  });
  const home = path.join(dir, 'home');
  mkdirSync(path.join(home, '.ssh'), { recursive: true });
  copyFileSync(ssh.identity, path.join(home, '.ssh', 'id_ed25519'));
  chmodSync(path.join(home, '.ssh', 'id_ed25519'), 0o600);
  copyFileSync(ssh.knownHosts, path.join(home, '.ssh', 'known_hosts'));
  const env = { DOCKER_CONFIG: config, HOME: home };
  // s1's Engine listens on its unix socket only: the sandbox's own way in, for checking what the run did.
  const s1 = new Docker({ socketPath: only.socket.replace('unix://', '') });
  const states = async () =>
    (await s1.listContainers({ all: true, filters: { label: [`${Labels.stack}=${name}`] } })).map((c) => c.State);
  destroyAfter(t, ['--context', name], dir, env);
  const applied = await runStack(['apply', '--yes', '--json', '--context', name], dir, env);
  ok(t, applied);
  t.deepEqual(Object.keys(JSON.parse(applied.stdout.trim().split('\n').at(-1)!).calls), [only.ip]);
  t.deepEqual(await states(), ['running']);
  const inv = await runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir, { DOCKER_CONFIG: config });
  t.is(inv.code, 0, `the inventory's context reaches the same daemon, which has the stack: ${inv.stdout}${inv.stderr}`);
  t.regex(inv.stdout, /no changes/);
  // A changed host key in the operator's known_hosts (s1's line given h1's key): refused, naming the host, nothing written.
  const lines = readFileSync(ssh.knownHosts, 'utf8').split('\n');
  const h1Key = lines
    .find((l) => l.startsWith(`${host('h1').ip} `))!
    .split(' ')
    .slice(1)
    .join(' ');
  writeFileSync(
    path.join(home, '.ssh', 'known_hosts'),
    lines.map((l) => (l.startsWith(`${only.ip} `) ? `${only.ip} ${h1Key}` : l)).join('\n'),
  );
  const since = await eventWindowStart();
  const changed = await runStack(['apply', '--yes', '--context', name], dir, env);
  t.is(changed.code, 1, changed.stdout + changed.stderr);
  t.regex(changed.stderr, new RegExp(only.ip.replace(/\./g, '\\.')));
  t.deepEqual(await states(), ['running']);
  t.deepEqual(await stackEvents(name, since), [], 'nothing written');
  copyFileSync(ssh.knownHosts, path.join(home, '.ssh', 'known_hosts'));
});

test('an unknown context or a broken meta.json: exit 1, one message naming the context and the file, nothing written', async (t) => {
  const name = uniqueStack('ctx-bad');
  const { dir: config } = dockerConfig();
  const meta = path.join(config, 'contexts', 'meta', contextId('broken'));
  mkdirSync(meta, { recursive: true });
  writeFileSync(path.join(meta, 'meta.json'), '{"Name":"broken","Endpoints":{');
  const dir = writeDir({ 'compose.yaml': composeFor(name, sandbox().images.busybox) });
  const env = { DOCKER_CONFIG: config };
  const since = await eventWindowStart();
  const unknown = await runStack(['apply', '--yes', '--context', 'nope'], dir, env);
  t.is(unknown.code, 1);
  t.regex(
    unknown.stderr,
    /--context: docker context "nope" does not exist in .*contexts\/meta\/[0-9a-f]{64}\/meta\.json/,
  );
  t.notRegex(unknown.stderr, /\n\s+at /, 'no stack trace');
  const broken = await runStack(['apply', '--yes'], dir, { ...env, DOCKER_CONTEXT: 'broken' });
  t.is(broken.code, 1);
  t.regex(broken.stderr, /DOCKER_CONTEXT: docker context "broken": .*meta\.json is malformed \(not valid JSON\)/);
  t.deepEqual(await stackEvents(name, since), [], 'nothing written on any host');
});

/** Pushes the sandbox's busybox to the auth registry as a new private image only the registry has. */
async function pushPrivate(t: ExecutionContext, tag: string): Promise<string> {
  const sb = sandbox();
  const ref = `${sb.registryAuth.address}/private/${tag}:1`;
  const d = engine(host('h1'));
  const auth = {
    username: sb.registryAuth.username,
    password: sb.registryAuth.password,
    serveraddress: sb.registryAuth.address,
  };
  await d.getImage(sb.images.busybox).tag({ repo: ref.slice(0, ref.lastIndexOf(':')), tag: '1' });
  await follow(d, await d.getImage(ref).push({ authconfig: auth }));
  await d.getImage(ref).remove();
  t.teardown(async () => {
    for (const h of sb.hosts)
      await engine(h)
        .getImage(ref)
        .remove({ force: true })
        .catch(() => undefined);
  });
  return ref;
}

async function follow(d: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  const out = await new Promise<{ error?: string }[]>((resolve, reject) =>
    d.modem.followProgress(stream, (err: Error | null, o: { error?: string }[]) => (err ? reject(err) : resolve(o))),
  );
  const bad = out.find((o) => o.error);
  if (bad) throw new Error(bad.error);
}

/** The sandbox's helper folder (descriptions written before it had the field: $DATA/bin beside its TLS folder). */
function helperDir(): string {
  const sb = sandbox();
  const dir = sb.credentialHelperDir ?? path.resolve(path.dirname(sb.hosts[0].tls.ca), '..', '..', 'bin');
  if (!existsSync(path.join(dir, 'docker-credential-sandbox')))
    throw new Error(`${dir}/docker-credential-sandbox is missing: run npm run sandbox -- up`);
  return dir;
}

test('a private image is pulled through docker-credential-sandbox (credHelpers), with no credential in the inventory; without the helper on PATH, one error and nothing written', async (t) => {
  const sb = sandbox();
  const name = uniqueStack('cred-helper');
  const ref = await pushPrivate(t, name);
  const config = mkdtempSync(path.join(os.tmpdir(), 'stack-docker-config-'));
  writeFileSync(
    path.join(config, 'config.json'),
    JSON.stringify({ credHelpers: { [sb.registryAuth.address]: 'sandbox' } }),
  );
  const dir = writeDir({
    'compose.yaml': composeFor(name, ref),
    'inventory.yaml': inventoryYaml(sandboxHosts(['h2'])),
  });
  const since = await eventWindowStart();
  const missing = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir, { DOCKER_CONFIG: config });
  t.is(missing.code, 1);
  t.regex(
    missing.stderr,
    new RegExp(`registry ${sb.registryAuth.address}: credential helper docker-credential-sandbox is not installed`),
  );
  t.deepEqual(await stackEvents(name, since), [], 'nothing written on any host');
  const env = { DOCKER_CONFIG: config, PATH: `${helperDir()}:${process.env.PATH ?? ''}` };
  destroyAfter(t, ['-i', 'inventory.yaml'], dir, env);
  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir, env);
  ok(t, applied);
  t.true(await running('h2', name));
  t.truthy(await engine(host('h2')).getImage(ref).inspect(), 'h2 pulled the image only the registry had');
  t.false(`${applied.stdout}${applied.stderr}`.includes(sb.registryAuth.password), 'the password is never printed');
});

test("the inventory's registries: win over the credential helper, which is not even run", async (t) => {
  const sb = sandbox();
  const name = uniqueStack('cred-inv');
  const ref = await pushPrivate(t, name);
  const config = mkdtempSync(path.join(os.tmpdir(), 'stack-docker-config-'));
  const log = path.join(config, 'wrong.log');
  // A helper of the test's own that answers a wrong password and notes each call.
  writeFileSync(
    path.join(config, 'docker-credential-wrong'),
    `#!/bin/sh\ncat >> ${log}\necho >> ${log}\necho '{"ServerURL":"x","Username":"stack","Secret":"wrong-password"}'\n`,
  );
  chmodSync(path.join(config, 'docker-credential-wrong'), 0o755);
  writeFileSync(path.join(config, 'config.json'), JSON.stringify({ credsStore: 'wrong' }));
  const hosts = inventoryYaml(sandboxHosts(['h3']));
  const dir = writeDir({
    'compose.yaml': composeFor(name, ref),
    'helper-only.yaml': hosts,
    'inventory.yaml': `${hosts}registries:\n  "${sb.registryAuth.address}": { username: ${sb.registryAuth.username}, password_env: SANDBOX_REGISTRY_PASSWORD }\n`,
  });
  const env = { DOCKER_CONFIG: config, PATH: `${config}:${process.env.PATH ?? ''}` };
  // The control: the helper's wrong answer is what the daemon gets when the inventory says nothing.
  const wrong = await runStack(['apply', '--yes', '-i', 'helper-only.yaml'], dir, env);
  t.is(wrong.code, 1);
  t.regex(wrong.stdout + wrong.stderr, /unauthorized|authentication required|denied/i);
  t.is(readFileSync(log, 'utf8'), `${sb.registryAuth.address}\n`);
  writeFileSync(log, '');
  const withPassword = { ...env, SANDBOX_REGISTRY_PASSWORD: sb.registryAuth.password };
  destroyAfter(t, ['-i', 'inventory.yaml'], dir, withPassword);
  ok(t, await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir, withPassword));
  t.true(await running('h3', name));
  t.is(readFileSync(log, 'utf8'), '', 'the helper was not run');
});

test('lookups are lazy: with a global credsStore, a run whose images need no credentials and pull nothing runs no helper', async (t) => {
  const name = uniqueStack('cred-lazy');
  const config = mkdtempSync(path.join(os.tmpdir(), 'stack-docker-config-'));
  const log = path.join(config, 'asked.log');
  writeFileSync(
    path.join(config, 'docker-credential-asked'),
    `#!/bin/sh\ncat >> ${log}\necho >> ${log}\necho '{"ServerURL":"x","Username":"u","Secret":"s"}'\n`,
  );
  chmodSync(path.join(config, 'docker-credential-asked'), 0o755);
  writeFileSync(path.join(config, 'config.json'), JSON.stringify({ credsStore: 'asked' }));
  const dir = writeDir({
    'compose.yaml': composeFor(name, sandbox().images.busybox),
    'inventory.yaml': inventoryYaml(sandboxHosts(['h2'])),
  });
  const env = { DOCKER_CONFIG: config, PATH: `${config}:${process.env.PATH ?? ''}` };
  destroyAfter(t, ['-i', 'inventory.yaml'], dir, env);
  ok(t, await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir, env));
  t.true(await running('h2', name));
  const again = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir, env);
  ok(t, again);
  t.false(existsSync(log), 'the helper was never run: the open registry answered the digest, and nothing was pulled');
});

test('a helper that fails (exit 1, its stdout a would-be secret): exit 1 naming the registry and the helper, its output never echoed, nothing written', async (t) => {
  const sb = sandbox();
  const name = uniqueStack('cred-fail');
  const ref = await pushPrivate(t, name);
  const config = mkdtempSync(path.join(os.tmpdir(), 'stack-docker-config-'));
  writeFileSync(
    path.join(config, 'docker-credential-broken'),
    `#!/bin/sh\ncat >/dev/null\necho 'leaked-secret-91c2'\necho 'broken: keychain locked' >&2\nexit 1\n`,
  );
  chmodSync(path.join(config, 'docker-credential-broken'), 0o755);
  writeFileSync(
    path.join(config, 'config.json'),
    JSON.stringify({ credHelpers: { [sb.registryAuth.address]: 'broken' } }),
  );
  const dir = writeDir({
    'compose.yaml': composeFor(name, ref),
    'inventory.yaml': inventoryYaml(sandboxHosts(['h2', 'h3'])),
  });
  const since = await eventWindowStart();
  const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir, {
    DOCKER_CONFIG: config,
    PATH: `${config}:${process.env.PATH ?? ''}`,
  });
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(
    r.stderr,
    new RegExp(
      `registry ${sb.registryAuth.address}: credential helper docker-credential-broken failed \\(exit code 1\\)`,
    ),
  );
  t.false(`${r.stdout}${r.stderr}`.includes('leaked-secret-91c2'), "the helper's output is never echoed");
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  t.deepEqual(await stackEvents(name, since), [], 'nothing written on any host');
});
