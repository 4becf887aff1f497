/**
 * Registry credentials as the docker CLI finds them, with the inventory's first: credHelpers > credsStore > auths,
 * helpers run as real programs (scripts written here, on a PATH of the test's own) by argv with the server URL on
 * stdin; every failure names the registry and the helper and never echoes what the helper wrote.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { dockerCredentials, resolveCredentials, type DockerCredentialOptions } from '../../../src/docker/auth.js';
import { Sensitive } from '../../../src/sensitive.js';

const SECRET = 'helper-secret-7f3a';

/** A folder with config.json and helper scripts (the folder is on PATH); each script logs its argv and stdin to `NAME.log`. */
function setup(config: unknown, helpers: Record<string, string>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-creds-'));
  writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  for (const [name, body] of Object.entries(helpers)) {
    const file = path.join(dir, `docker-credential-${name}`);
    writeFileSync(
      file,
      `#!/bin/sh\nin=$(cat)\nprintf '%s %s\\n' "$*" "$in" >> ${JSON.stringify(path.join(dir, `${name}.log`))}\n${body}\n`,
    );
    chmodSync(file, 0o755);
  }
  const log = (name: string) => {
    const file = path.join(dir, `${name}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  };
  const options = (more: Partial<DockerCredentialOptions> = {}): DockerCredentialOptions => ({
    configDir: dir,
    env: { PATH: `${dir}:/usr/bin:/bin` },
    ...more,
  });
  return { dir, log, options };
}

const answer = (user: string, secret = SECRET) => `echo '{"ServerURL":"x","Username":"${user}","Secret":"${secret}"}'`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

test('credHelpers for that registry, else credsStore, else auths; the helper gets `get` and the server URL on stdin', async (t) => {
  const { log, options } = setup(
    {
      credHelpers: { '10.0.0.1:5001': 'one' },
      credsStore: 'store',
      auths: { '10.0.0.1:5001': { auth: b64('file:pw') }, 'r.example': { auth: b64('file:pw') } },
    },
    { one: answer('u1'), store: answer('u2') },
  );
  const source = dockerCredentials(options());
  t.deepEqual(await source.get('10.0.0.1:5001'), { username: 'u1', password: SECRET, serveraddress: '10.0.0.1:5001' });
  t.is(log('one'), 'get 10.0.0.1:5001\n');
  t.deepEqual(await source.get('r.example'), { username: 'u2', password: SECRET, serveraddress: 'r.example' });
  t.deepEqual(await source.get('docker.io'), {
    username: 'u2',
    password: SECRET,
    serveraddress: 'https://index.docker.io/v1/',
  });
  t.is(log('store'), 'get r.example\nget https://index.docker.io/v1/\n');
});

test('auths: base64 auth, username/password, identitytoken; Docker Hub under its https://index.docker.io/v1/ key', async (t) => {
  const { options } = setup(
    {
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hub:pw:with:colons') },
        'plain.example': { username: 'p', password: 'q' },
        'https://tok.example/v2/': { identitytoken: 'refresh-token' },
        'empty.example': {},
      },
    },
    {},
  );
  const source = dockerCredentials(options());
  t.deepEqual(await source.get('docker.io'), {
    username: 'hub',
    password: 'pw:with:colons',
    serveraddress: 'https://index.docker.io/v1/',
  });
  t.deepEqual(await source.get('plain.example'), { username: 'p', password: 'q', serveraddress: 'plain.example' });
  t.deepEqual(await source.get('tok.example'), {
    identitytoken: 'refresh-token',
    serveraddress: 'https://tok.example/v2/',
  });
  t.is(await source.get('empty.example'), undefined);
  t.is(await source.get('other.example'), undefined);
});

test("a helper's <token> answer is an identity token; its 'credentials not found' is an anonymous pull", async (t) => {
  const { options } = setup(
    { credHelpers: { 'tok.example': 'tok', 'none.example': 'none' } },
    { tok: answer('<token>'), none: 'echo "credentials not found in native keychain"; exit 1' },
  );
  const source = dockerCredentials(options());
  t.deepEqual(await source.get('tok.example'), { identitytoken: SECRET, serveraddress: 'tok.example' });
  t.is(await source.get('none.example'), undefined);
});

test("the inventory's registries: win: its password is sent and no helper runs", async (t) => {
  const { log, options } = setup({ credsStore: 'store' }, { store: answer('u2') });
  const source = dockerCredentials(
    options({ inventory: { '10.0.0.1:5001': { username: 'inv', password: Sensitive.of('inv-pw') } } }),
  );
  t.deepEqual(await source.get('10.0.0.1:5001'), {
    username: 'inv',
    password: 'inv-pw',
    serveraddress: '10.0.0.1:5001',
  });
  t.is(log('store'), '');
  t.true(source.configured('10.0.0.1:5001'));
});

test('a failing helper is one error naming the registry and the helper, never echoing its output', async (t) => {
  const { options } = setup(
    {
      credHelpers: {
        'fail.example': 'fail',
        'json.example': 'junk',
        'shape.example': 'shape',
        'gone.example': 'missing',
      },
    },
    {
      fail: `echo "${SECRET}"; echo "${SECRET}" >&2; exit 3`,
      junk: `echo "not json ${SECRET}"`,
      shape: `echo '{"Username":"u","Secret":5}'`,
    },
  );
  const source = dockerCredentials(options());
  const failure = async (registry: string) => {
    const err = await t.throwsAsync(source.get(registry));
    t.false(err.message.includes(SECRET), err.message);
    return err.message;
  };
  t.is(
    await failure('fail.example'),
    'registry fail.example: credential helper docker-credential-fail failed (exit code 3)',
  );
  t.regex(
    await failure('json.example'),
    /^registry json.example: credential helper docker-credential-junk did not answer with JSON/,
  );
  t.regex(await failure('shape.example'), /docker-credential-shape answered without a string Username and Secret/);
  t.is(
    await failure('gone.example'),
    'registry gone.example: credential helper docker-credential-missing is not installed (not found on PATH)',
  );
  await t.throwsAsync(resolveCredentials(source, ['gone.example', 'other.example']), {
    message: /docker-credential-missing/,
  });
});

test('config.json: a helper name that is not a plain word, or malformed JSON, is an error naming the file; absent: none', async (t) => {
  for (const [config, why] of [
    [{ credsStore: '../../bin/sh' }, /has credsStore "..\/..\/bin\/sh": a helper name must be a plain word/],
    [{ credHelpers: { 'r.example': 'a b' } }, /has credHelpers.r.example "a b": a helper name must be a plain word/],
    [
      { auths: { 'r.example': { auth: b64('nocolon') } } },
      /has auths.r.example with an auth that is not base64 of USER:PASSWORD/,
    ],
    ['{', /is not valid JSON/],
  ] as const) {
    const { dir, options } = setup(config, {});
    const err = await t.throwsAsync(dockerCredentials(options()).get('r.example'));
    t.regex(err.message, why);
    t.true(err.message.startsWith(`Docker config file ${path.join(dir, 'config.json')} `));
  }
  const empty = mkdtempSync(path.join(os.tmpdir(), 'stack-creds-'));
  t.is(await dockerCredentials({ configDir: empty, env: {} }).get('r.example'), undefined);
});

test('a source asks each registry once, however often the run resolves; the answers come from memory', async (t) => {
  const { log, options } = setup({ credsStore: 'store' }, { store: answer('u') });
  const source = dockerCredentials(options());
  const creds = await resolveCredentials(source, ['a.example', 'a.example', 'b.example']);
  await resolveCredentials(source, ['a.example', 'b.example']); // a second plan of the same run
  t.is(creds('a.example')?.username, 'u');
  t.is(creds('c.example'), undefined);
  t.is(log('store').split('\n').filter(Boolean).length, 2);
});

test('needsHelper says, without running anything, whether get would run a helper not yet asked', async (t) => {
  const { log, options } = setup(
    { credHelpers: { 'h.example': 'store' }, auths: { 'a.example': { auth: b64('file:pw') } } },
    { store: answer('u') },
  );
  const inventory = { 'i.example': { username: 'op', password: Sensitive.of('pw') } };
  const source = dockerCredentials(options({ inventory }));
  t.true(source.needsHelper('h.example'));
  t.false(source.needsHelper('a.example'), 'auths: read from the file');
  t.false(source.needsHelper('i.example'), "the inventory's");
  t.false(source.needsHelper('other.example'), 'no helper for it, no credsStore');
  t.is(log('store'), '', 'nothing run yet');
  await source.get('h.example');
  t.false(source.needsHelper('h.example'), 'asked once: the answer is kept');
  const store = setup({ credsStore: 'store' }, { store: answer('u') });
  t.true(dockerCredentials(store.options()).needsHelper('any.example'), 'credsStore answers for every registry');
});
