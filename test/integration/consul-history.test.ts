/**
 * Revision history and rollback with Consul on the real sandbox: revisions per apply, rollback through the
 * normal path (v1's env runs again), refusal when a secret changed, chunked records over 512 KiB, pruning.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { ConsulClient, ConsulRequestError } from '../../src/consul/client.js';
import { ConsulStateStore } from '../../src/state/consul-store.js';
import type { PlanSummaryCounts, RevisionRecord } from '../../src/state/types.js';
import { hashStored } from '../../src/state/revision.js';
import { revisionRecord } from '../helpers/revision-record.js';
import { containersOf, docker, IMAGE, uniqueStack } from './reconcile-helpers.js';
import { cleanupStack, consulAddress, consulApi, folder, inventoryYaml, stackCli } from './consul-helpers.js';

const file = (name: string, v: string, extra = '') => `name: ${name}
services:
  web:
    image: ${IMAGE()}
    command: ["sleep", "3600"]
    environment: { V: "${v}" }
    secrets: [pw]
    stop_grace_period: 1s
    deploy: { replicas: 2 }
secrets:
  pw: { file: ./pw.txt }
${extra}`;

interface History {
  store: string;
  revisions: {
    number: number;
    hash: string;
    result: string;
    kind?: string;
    command: string;
    commit?: string;
    who: string;
    plan: PlanSummaryCounts;
  }[];
}

async function history(dir: string): Promise<History> {
  const r = await stackCli(['history', '--json', '-i', 'inventory.yaml'], { cwd: dir });
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as History;
}

/** V of every running replica of the stack, read from the daemons. */
async function envOf(stack: string): Promise<string[]> {
  const out: string[] = [];
  for (const c of (await containersOf(stack)).values()) {
    if (c.info.State !== 'running') continue;
    const info = await docker(c.host).getContainer(c.info.Id).inspect();
    out.push(info.Config.Env.find((e: string) => e.startsWith('V='))!);
  }
  return out.sort();
}

function gitRepo(dir: string): string {
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: dir })
      .toString()
      .trim();
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'v');
  return git('rev-parse', 'HEAD');
}

test("history and rollback: apply v1, apply v2, rollback runs v1's env again and records a new revision", async (t) => {
  const name = uniqueStack('hist');
  const dir = folder({ 'compose.yaml': file(name, '1'), 'pw.txt': 's3cret', 'inventory.yaml': inventoryYaml() });
  cleanupStack(t, name, dir);
  const commit = gitRepo(dir);
  const apply = () => stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir, env: { STACK_USER: 'hist-user' } });
  t.is((await apply()).code, 0);
  writeFileSync(path.join(dir, 'compose.yaml'), file(name, '2'));
  t.is((await apply()).code, 0);
  t.deepEqual(await envOf(name), ['V=2', 'V=2']);

  const noTty = await stackCli(['rollback', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(noTty.code, 1);
  t.regex(noTty.stderr, /not a terminal/);
  t.regex(noTty.stdout, /to replace/, 'the plan is shown before asking');

  const rolled = await stackCli(['rollback', '-y', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(rolled.code, 0, rolled.stderr);
  t.regex(rolled.stdout, /2 to replace/);
  t.deepEqual(await envOf(name), ['V=1', 'V=1']);

  const h = await history(dir);
  t.regex(h.store, /^Consul at http/);
  t.deepEqual(
    h.revisions.map((r) => [r.number, r.result, r.command]),
    [
      [1, 'ok', 'apply'],
      [2, 'ok', 'apply'],
      [3, 'ok', 'rollback --to 1'],
    ],
  );
  t.is(h.revisions[2].hash, h.revisions[0].hash, 'the rollback applied exactly revision 1');
  t.not(h.revisions[1].hash, h.revisions[0].hash);
  t.is(h.revisions[0].commit, commit);
  t.regex(h.revisions[0].who, /^hist-user@/);
  t.true(h.revisions[0].plan.create >= 3, 'networks, files volumes and two replicas');
  t.is(h.revisions[1].plan.replace, 2, 'v2 replaced both replicas');
  const stored = JSON.stringify(await consulApi(`kv/stack/${name}/?recurse=true`));
  t.false(stored.includes(Buffer.from('s3cret').toString('base64')), 'the secret is never stored');

  const human = await stackCli(['history', '-i', 'inventory.yaml'], { cwd: dir });
  t.regex(human.stdout, /^REV\s+KIND\s+RESULT\s+WHEN\s+WHO\s+COMMAND/);
  t.regex(human.stdout, /\n3\s+apply\s+ok\s+\S+\s+\S+@\S+\s+rollback --to 1/);

  const missing = await stackCli(['rollback', '-y', '--to', '9', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(missing.code, 1);
  t.regex(missing.stderr, /revision 9 is not in the history \(kept: 1, 2, 3\)/);
  const bad = await stackCli(['rollback', '-y', '--to', 'last', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(bad.code, 1);
  t.regex(bad.stderr, /--to last: not a revision number/);
});

test('destroy records a revision of kind destroy; history shows it; rollback after it brings back the last apply, and refuses the destroy itself', async (t) => {
  const name = uniqueStack('hdes');
  const dir = folder({ 'compose.yaml': file(name, '1'), 'pw.txt': 'pw', 'inventory.yaml': inventoryYaml() });
  cleanupStack(t, name, dir);
  t.is((await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir })).code, 0);
  t.deepEqual(await envOf(name), ['V=1', 'V=1']);
  const destroyed = await stackCli(['destroy', '-y', '-i', 'inventory.yaml'], {
    cwd: dir,
    env: { STACK_USER: 'destroyer' },
  });
  t.is(destroyed.code, 0, destroyed.stderr);
  t.is((await containersOf(name)).size, 0, 'the stack is gone from the hosts');

  const h = await history(dir);
  t.deepEqual(
    h.revisions.map((r) => [r.number, r.kind, r.result, r.command]),
    [
      [1, 'apply', 'ok', 'apply'],
      [2, 'destroy', 'ok', 'destroy'],
    ],
  );
  const removed = h.revisions[1].plan.remove;
  t.true(
    removed >= 3,
    `the destroy's plan summary counts what it removed (two replicas, networks, files volume): ${removed}`,
  );
  t.regex(h.revisions[1].who, /^destroyer@/);
  const human = await stackCli(['history', '-i', 'inventory.yaml'], { cwd: dir });
  t.regex(human.stdout, /\n2\s+destroy\s+ok\s+\S+\s+destroyer@\S+\s+destroy\s+\+0 ±0 ~0 -\d+/);

  // A destroy of a stack with nothing on the hosts changes nothing and records nothing.
  t.is((await stackCli(['destroy', '-y', '-i', 'inventory.yaml'], { cwd: dir })).code, 0);
  t.is((await history(dir)).revisions.length, 2);

  const refused = await stackCli(['rollback', '-y', '--to', '2', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(refused.code, 1);
  t.regex(refused.stderr, /cannot roll back stack \S+: revision 2 is a destroy: there is nothing to apply again/);
  t.is((await containersOf(name)).size, 0, 'a refused rollback writes nothing');

  const back = await stackCli(['rollback', '-y', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(back.code, 0, back.stderr);
  t.deepEqual(await envOf(name), ['V=1', 'V=1']);
  const after = await history(dir);
  t.deepEqual(after.revisions.map((r) => [r.number, r.kind, r.command]).at(-1), [3, 'apply', 'rollback --to 1']);
  t.is(after.revisions[2].hash, after.revisions[0].hash);
});

test('rollback refuses when a secret changed since the revision, and names it; nothing changes', async (t) => {
  const name = uniqueStack('hsec');
  const dir = folder({ 'compose.yaml': file(name, '1'), 'pw.txt': 'one', 'inventory.yaml': inventoryYaml() });
  cleanupStack(t, name, dir);
  t.is((await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir })).code, 0);
  writeFileSync(path.join(dir, 'compose.yaml'), file(name, '2'));
  writeFileSync(path.join(dir, 'pw.txt'), 'two');
  t.is((await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir })).code, 0);
  const r = await stackCli(['rollback', '-y', '--to', '1', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(r.code, 1);
  t.regex(
    r.stderr,
    /error: secret pw its content \(file:\.\/pw\.txt\) changed since revision 1: rollback to revision 1 refused/,
  );
  t.deepEqual(await envOf(name), ['V=2', 'V=2']);
  t.is((await history(dir)).revisions.length, 2, 'a refused rollback records nothing');
});

test('a revision over 512 KiB is stored compressed in chunks with the manifest last; rollback reads it; older revisions are pruned', async (t) => {
  const name = uniqueStack('hbig');
  // An unused config of 900 KiB random text: the record is far over Consul's 512 KiB value limit.
  const big = randomBytes(675 * 1024).toString('base64');
  const dir = folder({
    'compose.yaml': file(name, '1', `configs:\n  blob: { file: ./blob.txt }\nx-stack:\n  keep_revisions: 2\n`),
    'pw.txt': 'x',
    'blob.txt': big,
    'inventory.yaml': inventoryYaml(),
  });
  cleanupStack(t, name, dir);
  t.is((await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir })).code, 0);
  const keys = (await consulApi<string[]>(`kv/stack/${name}/revisions/?keys`))!;
  const [manifestItem] = (await consulApi<{ Value: string; CreateIndex: number }[]>(
    `kv/stack/${name}/revisions/0000000001/manifest`,
  ))!;
  const manifest = JSON.parse(Buffer.from(manifestItem.Value, 'base64').toString());
  t.regex(manifest.chunkDir, /^chunks-[0-9a-f]{12}$/, "the writer's own chunk folder");
  const chunks = keys.filter((k) => k.startsWith(`stack/${name}/revisions/0000000001/${manifest.chunkDir}/`));
  t.true(chunks.length >= 2, keys.join(', '));
  t.is(manifest.encoding, 'zlib');
  t.is(manifest.chunks, chunks.length);
  for (const k of chunks) {
    const [item] = (await consulApi<{ Value: string; CreateIndex: number }[]>(`kv/${k}`))!;
    t.true(Buffer.from(item.Value, 'base64').length <= 512 * 1024);
    t.true(item.CreateIndex < manifestItem.CreateIndex, 'chunks are written before the manifest');
  }

  writeFileSync(path.join(dir, 'compose.yaml'), file(name, '2', `x-stack:\n  keep_revisions: 2\n`));
  t.is((await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir })).code, 0);
  const r = await stackCli(['rollback', '-y', '-i', 'inventory.yaml'], { cwd: dir });
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await envOf(name), ['V=1', 'V=1']);
  const h = await history(dir);
  t.deepEqual(
    h.revisions.map((x) => x.number),
    [2, 3],
    'keep_revisions: 2 pruned revision 1',
  );
  const left = (await consulApi<string[]>(`kv/stack/${name}/revisions/?keys`))!;
  t.false(
    left.some((k) => k.includes('/0000000001/')),
    'its chunks went with it',
  );
});

test("two writers of one revision number: the manifest's check-and-set lets one win; the loser fails, never touched the winner's chunks, and leaves nothing", async (t) => {
  const name = uniqueStack('hcas');
  t.teardown(() =>
    consulApi(`kv/stack/${name}/?recurse=true`, { method: 'DELETE' }).then(
      () => undefined,
      () => undefined,
    ),
  );
  const store = new ConsulStateStore(new ConsulClient({ address: consulAddress(), source: '--consul' }));
  t.teardown(() => store.close());
  // Large enough to be several chunks: a loser writing over the winner's chunk keys would corrupt it.
  const record = (who: string): RevisionRecord => {
    const desired = {
      name,
      workingDir: '/w',
      services: { web: { image: 'x', blob: randomBytes(700 * 1024).toString('base64') } },
      networks: {},
      volumes: {},
      configs: {},
      secrets: {},
    };
    return {
      number: 1,
      hash: hashStored(desired),
      result: 'ok',
      command: 'apply',
      who,
      when: new Date().toISOString(),
      plan: { create: 1, replace: 0, update: 0, remove: 0, operations: 1 },
      desired,
    };
  };
  const first = record('first@here');
  await store.record(name, first, 10);
  const before = (await consulApi<string[]>(`kv/stack/${name}/revisions/?keys`))!.sort();
  await t.throwsAsync(() => store.record(name, record('second@there'), 10), {
    message: /revision 1 of stack \S+ already exists/,
  });
  t.deepEqual((await consulApi<string[]>(`kv/stack/${name}/revisions/?keys`))!.sort(), before, 'the loser left no key');
  const read = await store.get(name, 1);
  t.is(read?.who, 'first@here');
  t.deepEqual(read, first, 'the winner reads back whole (its sha256 checked)');
});

/** A small revision record of stack `name` (one chunk: it is written in one transaction). */
const smallRecord = (name: string, number: number, who: string): RevisionRecord => ({
  ...revisionRecord(number, { name, services: { web: { image: 'x' } } }),
  who,
});

const revisionKeys = async (name: string) =>
  ((await consulApi<string[]>(`kv/stack/${name}/revisions/?keys`)) ?? []).sort();

test('a small revision goes in one transaction: a second writer of its number is rolled back whole and leaves no key; the same write retried after it was applied is its own', async (t) => {
  const name = uniqueStack('htxn');
  t.teardown(() => consulApi(`kv/stack/${name}/?recurse=true`, { method: 'DELETE' }).catch(() => undefined));
  const client = new ConsulClient({ address: consulAddress(), source: '--consul' });
  const store = new ConsulStateStore(client);
  t.teardown(() => store.close());
  const first = smallRecord(name, 1, 'first@here');
  await store.record(name, first, 10);
  const keys = await revisionKeys(name);
  t.is(keys.length, 2, `one chunk and the manifest: ${keys.join(', ')}`);
  const items = (await consulApi<{ Key: string; ModifyIndex: number }[]>(`kv/stack/${name}/revisions/?recurse`))!;
  t.is(new Set(items.map((i) => i.ModifyIndex)).size, 1, 'chunk and manifest were written by one Raft entry');
  await t.throwsAsync(() => store.record(name, smallRecord(name, 1, 'second@there'), 10), {
    message: /revision 1 of stack \S+ already exists/,
  });
  t.deepEqual(await revisionKeys(name), keys, 'the loser left no key');
  t.deepEqual(await store.get(name, 1), first);

  // A write Consul applied but whose answer was lost is sent again (the client retries a leaderless 500): the
  // retry's check-and-set fails against the manifest the first one wrote, which is this writer's own.
  const write = client.write.bind(client);
  client.write = (async (action: string, fn: Parameters<typeof write>[1]) => {
    if (/manifest/.test(action)) await write(action, fn);
    return write(action, fn);
  }) as typeof client.write;
  await store.record(name, smallRecord(name, 2, 'retried@here'), 10);
  t.is((await store.get(name, 2))?.who, 'retried@here', 'the retried write is taken as done');
  t.is((await revisionKeys(name)).length, 4);

  // Rolled back for a reason of Consul's own, with no manifest there: that reason is the error, not "already exists".
  client.write = (async (action: string, fn: Parameters<typeof write>[1]) => {
    if (/manifest/.test(action))
      throw new ConsulRequestError(client.address, action, 409, 'operation 0: Permission denied');
    return write(action, fn);
  }) as typeof client.write;
  await t.throwsAsync(() => store.record(name, smallRecord(name, 3, 'denied@here'), 10), {
    message: /HTTP 409.*operation 0: Permission denied/,
  });
  t.is((await revisionKeys(name)).length, 4, 'nothing of revision 3 is written');
});

test('pruning removes every revision beyond keep_revisions, manifest and chunks, in transactions of 32', async (t) => {
  const name = uniqueStack('hprune');
  t.teardown(() => consulApi(`kv/stack/${name}/?recurse=true`, { method: 'DELETE' }).catch(() => undefined));
  const store = new ConsulStateStore(new ConsulClient({ address: consulAddress(), source: '--consul' }));
  t.teardown(() => store.close());
  for (let n = 1; n <= 36; n++) await store.record(name, smallRecord(name, n, 'w@here'), 100);
  t.is((await store.list(name)).length, 36);
  await store.record(name, smallRecord(name, 37, 'w@here'), 2);
  t.deepEqual(
    (await store.list(name)).map((r) => r.number),
    [36, 37],
  );
  t.true(
    (await revisionKeys(name)).every((k) => /\/00000000(36|37)\//.test(k)),
    'no chunk of a pruned revision is left',
  );
});
