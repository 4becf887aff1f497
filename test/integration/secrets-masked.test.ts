/**
 * Issue 14's proof: a full apply → change → apply → rollback cycle through the CLI on the sandbox, with marker
 * values in a secret file and in a sensitive variable; every output stream, every stored revision (Consul, or the
 * local state directory) and every label on the hosts is searched for the markers and their plain sha256: zero hits.
 * The containers still get the real values (the executor reveals them into the create request only).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import test, { type ExecutionContext } from 'ava';
import { consulApi, folder, inventoryYaml, stackCli, type CliResult } from './consul-helpers.js';
import { containersOf, docker, IMAGE, uniqueStack } from './reconcile-helpers.js';

const marker = (what: string) => `${what}-${randomBytes(9).toString('hex')}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const stackFile = (name: string) => `name: ${name}
services:
  db:
    image: ${IMAGE()}
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    environment:
      DB_PASSWORD: \${DB_PASSWORD}
      RELEASE: \${RELEASE}
    secrets: [api_key]
secrets:
  api_key: { file: ./api_key.txt }
`;

/** Every string the cycle may have leaked into, with where it came from. */
type Haystack = [where: string, text: string][];

function outputs(label: string, r: CliResult): Haystack {
  return [
    [`${label} stdout`, r.stdout],
    [`${label} stderr`, r.stderr],
  ];
}

/** Every file under a folder, as text (the local store's revisions, lock, key). */
function filesUnder(root: string): Haystack {
  const out: Haystack = [];
  for (const entry of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    const file = path.join(root, entry);
    if (!statSync(file).isFile()) continue;
    const bytes = readFileSync(file);
    out.push([file, bytes.toString('utf8')]);
    out.push([`${file} (inflated)`, tryInflate(bytes)]);
  }
  return out;
}

function tryInflate(bytes: Buffer): string {
  for (const candidate of [bytes, Buffer.from(bytes.toString('utf8'), 'base64')])
    try {
      return inflateSync(candidate).toString('utf8');
    } catch {
      // not compressed
    }
  return '';
}

/** Every Consul key of the stack, its value decoded (and inflated where it is a compressed chunk). */
async function consulValues(stack: string): Promise<Haystack> {
  const items = (await consulApi<{ Key: string; Value: string | null }[]>(`kv/stack/${stack}/?recurse=true`)) ?? [];
  return items.flatMap(({ Key, Value }) => {
    const bytes = Buffer.from(Value ?? '', 'base64');
    return [
      [Key, bytes.toString('utf8')],
      [`${Key} (inflated)`, tryInflate(bytes)],
    ] as Haystack;
  });
}

/** Every label of every container and volume of the stack, on every host. */
async function labelsOnHosts(stack: string): Promise<Haystack> {
  const out: Haystack = [];
  for (const [name, c] of await containersOf(stack)) out.push([`labels of ${name}`, JSON.stringify(c.info.Labels)]);
  return out;
}

/** The sandbox daemons' own logs (deploy/sandbox/lib.sh writes them to its data folder). */
function daemonLogs(): Haystack {
  const data = '/var/lib/stack-sandbox';
  const logs = readdirSync(data).filter((f) => /^dockerd-h\d+\.log$/.test(f));
  return logs.map((f) => [path.join(data, f), readFileSync(path.join(data, f), 'utf8')]);
}

function assertNoLeak(t: ExecutionContext, haystack: Haystack, secrets: string[]): void {
  const needles = secrets.flatMap((s) => [s, sha256(s), sha256(`${s}\n`)]);
  const hits = haystack.flatMap(([where, text]) =>
    needles.filter((n) => text.includes(n)).map((n) => `${n} in ${where}`),
  );
  t.deepEqual(hits, [], 'no marker and no plain sha256 of one anywhere');
  t.true(haystack.length > 10, 'the search looked at something');
}

/**
 * The secret file on the host: 0400, owned by root, in a files volume that other users of the host cannot reach
 * (some folder above it gives others no search permission).
 */
async function assertSecretFileClosed(
  t: ExecutionContext,
  host: string,
  inspect: Awaited<ReturnType<ReturnType<ReturnType<typeof docker>['getContainer']>['inspect']>>,
): Promise<void> {
  const files = inspect.Mounts.find((m) => m.Destination === '/run/secrets');
  t.truthy(files?.Name, 'the secret comes in a files volume');
  const volume = await docker(host).getVolume(files!.Name!).inspect();
  const file = statSync(path.join(volume.Mountpoint, 'api_key'));
  t.is(file.mode & 0o777, 0o400, 'a secret file defaults to 0400');
  t.is(file.uid, 0);
  const ancestors: string[] = [];
  for (let dir = volume.Mountpoint; dir !== path.dirname(dir); dir = path.dirname(dir)) ancestors.push(dir);
  t.true(
    ancestors.some((dir) => (statSync(dir).mode & 0o001) === 0),
    `some folder above ${volume.Mountpoint} closes it to other users`,
  );
}

async function cycle(t: ExecutionContext, store: 'consul' | 'local'): Promise<void> {
  const name = uniqueStack(`mask${store[0]}`);
  const state = mkdtempSync(path.join(os.tmpdir(), 'stack-mask-state-'));
  const [secret1, secret2, password1, password2] = ['secret', 'secret', 'pw', 'pw'].map(marker);
  const dir = folder({
    'compose.yaml': stackFile(name),
    'api_key.txt': secret1,
    'inventory.yaml': inventoryYaml(store === 'consul' ? undefined : null),
  });
  let env = { DB_PASSWORD: password1, RELEASE: 'v1', STACK_STATE_DIR: state };
  const run = async (...args: string[]) => stackCli([...args, '-i', 'inventory.yaml'], { cwd: dir, env });
  t.teardown(async () => {
    await run('destroy', '-y', '--lock-timeout', '60s');
    await consulApi(`kv/stack/${name}/?recurse=true`, { method: 'DELETE' }).catch(() => undefined);
  });
  const seen: Haystack = [];
  const step = async (label: string, args: string[], code = 0) => {
    const r = await run(...args);
    t.is(r.code, code, `${label}: ${r.stderr}`);
    seen.push(...outputs(label, r));
    return r;
  };

  await step('plan', ['plan']);
  await step('apply 1', ['apply', '-y', '--json']);
  writeFileSync(path.join(dir, 'api_key.txt'), secret2);
  env = { ...env, DB_PASSWORD: password2, RELEASE: 'v2' };
  const plan2 = await step('plan 2', ['plan']);
  t.regex(plan2.stdout, /environment\.DB_PASSWORD: \(sensitive value changed\)/);
  t.regex(plan2.stdout, /environment\.RELEASE: changed, now "v2"/);
  await step('plan 2 --json', ['plan', '--json']);
  await step('config', ['config']);
  await step('apply 2', ['apply', '-y', '--json']);
  const [db] = [...(await containersOf(name)).values()];
  const inspect = await docker(db.host).getContainer(db.info.Id).inspect();
  t.true(inspect.Config.Env.includes(`DB_PASSWORD=${password2}`), 'the container gets the real value');
  await assertSecretFileClosed(t, db.host, inspect);

  const refused = await step('rollback refused', ['rollback', '-y', '--to', '1'], 1);
  t.regex(refused.stderr, /api_key|DB_PASSWORD/, 'names what changed since revision 1');
  writeFileSync(path.join(dir, 'api_key.txt'), secret1);
  env = { ...env, DB_PASSWORD: password1 };
  await step('rollback', ['rollback', '-y', '--to', '1']);
  await step('history', ['history']);
  await step('history --json', ['history', '--json']);
  const [back] = [...(await containersOf(name)).values()];
  const restored = await docker(back.host).getContainer(back.info.Id).inspect();
  t.true(restored.Config.Env.includes(`DB_PASSWORD=${password1}`), 'rollback restored the matching value');

  seen.push(...(await labelsOnHosts(name)), ...daemonLogs());
  seen.push(...(store === 'consul' ? await consulValues(name) : filesUnder(state)));
  assertNoLeak(t, seen, [secret1, secret2, password1, password2]);
}

test('a full cycle with Consul leaks no secret: outputs, Consul revisions and labels', (t) => cycle(t, 'consul'));
test('a full cycle with local state leaks no secret: outputs, state files and labels', (t) => cycle(t, 'local'));
