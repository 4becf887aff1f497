/**
 * Saved plans on h1–h3 through the built CLI (issue 17): `stack plan -o FILE` writes nothing on any host, and
 * `stack apply FILE` applies exactly that plan (the containers it named, where it placed them). Applied after the
 * stack file changed, or after a host changed (a container removed by hand), or with a tampered file, it is
 * refused with exit 1 and no write on any host.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import {
  containersOf,
  deploy,
  desiredFor,
  docker,
  eventually,
  eventWindowStart,
  IMAGE,
  stackEvents,
  uniqueStack,
} from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';
import { consulAddress } from './consul-helpers.js';

const MAIN = ['h1', 'h2', 'h3'];
test.before(() => ensureBuilt());

function stackFile(name: string, replicas: number, env = 'one'): string {
  return (
    `name: ${name}\nservices:\n  app:\n    image: ${IMAGE()}\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]\n` +
    `    environment: { MODE: ${env} }\n    stop_grace_period: 1s\n    deploy:\n      replicas: ${replicas}\n` +
    `      placement:\n        constraints: ["node.labels.pool == main"]\n`
  );
}

interface SavedDoc {
  planHash: string;
  inputs: Record<string, string>;
  observed: Record<string, string>;
  plan: { changes: { type: string; host: string; name: string; action: string }[]; operations: { id: string }[] };
}

/** A stack folder with its inventory; the stack is destroyed after the test. */
function project(t: ExecutionContext, name: string, replicas: number): string {
  const dir = writeDir({
    'compose.yaml': stackFile(name, replicas),
    'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)),
  });
  t.teardown(() =>
    deploy(desiredFor(name, [], 'socket'), { destroy: true, pruneVolumes: true }).then(
      () => undefined,
      () => undefined,
    ),
  );
  return dir;
}

const planTo = (dir: string, file = 'plan.json') => runStack(['plan', '-o', file, '-i', 'inventory.yaml'], dir);
const applyFile = (dir: string, file = 'plan.json') => runStack(['apply', file, '-i', 'inventory.yaml'], dir);
const readSaved = (dir: string, file = 'plan.json') =>
  JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as SavedDoc;

/** Container name → host of the stack's containers, as the daemons list them. */
async function placed(name: string): Promise<Record<string, string>> {
  return Object.fromEntries([...(await containersOf(name))].map(([n, f]) => [n, f.host]).sort());
}

test('an unchanged saved plan applies exactly its operations; planning it wrote nothing', async (t) => {
  const name = uniqueStack('sp');
  const dir = project(t, name, 2);
  const since = await eventWindowStart();
  const planned = await planTo(dir);
  t.is(planned.code, 0, planned.stderr);
  t.regex(planned.stderr, /Saved the plan to plan\.json/);
  t.deepEqual(await stackEvents(name, since), [], 'plan -o writes nothing on any host');
  const saved = readSaved(dir);
  const wanted = Object.fromEntries(
    saved.plan.changes
      .filter((c) => c.type === 'container' && c.action === 'create')
      .map((c) => [c.name, c.host])
      .sort(),
  );
  t.deepEqual(Object.keys(wanted), [`${name}-app-1`, `${name}-app-2`]);
  t.deepEqual(Object.keys(saved.observed).sort(), ['digests', 'host h1', 'host h2', 'host h3', 'overlay']);

  const applied = await applyFile(dir);
  t.is(applied.code, 0, applied.stderr);
  t.deepEqual(await placed(name), wanted, 'the containers the saved plan named, on the hosts it placed them');
  const again = await runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
  t.is(again.code, 0, `nothing left to do: ${again.stdout}`);
});

test('a saved plan is refused, with no write, once the stack file changed', async (t) => {
  const name = uniqueStack('sp');
  const dir = project(t, name, 2);
  t.is((await planTo(dir)).code, 0);
  writeFileSync(path.join(dir, 'compose.yaml'), stackFile(name, 2, 'two'));
  const since = await eventWindowStart();
  const r = await applyFile(dir);
  t.is(r.code, 1, r.stdout);
  t.regex(r.stderr, /saved plan is stale: the stack changed \(file, environment or inventory\): services\.app/);
  t.notRegex(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  t.deepEqual(await stackEvents(name, since), [], 'no write on any host');
  t.deepEqual(await placed(name), {});
});

test('a saved plan is refused, with no write, once a host changed (a container removed by hand)', async (t) => {
  const name = uniqueStack('sp');
  const dir = project(t, name, 2);
  const first = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(first.code, 0, first.stderr);
  writeFileSync(path.join(dir, 'compose.yaml'), stackFile(name, 3));
  t.is((await planTo(dir)).code, 0);
  const before = await placed(name);
  const [victim, host] = Object.entries(before)[0];
  const removal = await eventWindowStart();
  await docker(host).getContainer(victim).remove({ force: true });
  // The window of the apply starts once the hand-made removal's own events are in.
  await eventually(
    async () => (await stackEvents(name, removal)).some((e) => e.name === victim && e.Action === 'destroy'),
    30_000,
    'the removal seen in the events',
  );
  const since = await eventWindowStart();
  const r = await applyFile(dir);
  t.is(r.code, 1, r.stdout);
  t.regex(r.stderr, new RegExp(`saved plan is stale: the observed state changed: host ${host}\\b`));
  t.deepEqual(await stackEvents(name, since), [], 'no write on any host');
  const { [victim]: _gone, ...rest } = before;
  t.deepEqual(await placed(name), rest, 'the hosts are as the hand left them');
});

test('a tampered saved plan is refused with a clear message and no write', async (t) => {
  const name = uniqueStack('sp');
  const dir = project(t, name, 1);
  t.is((await planTo(dir)).code, 0);
  const saved = readSaved(dir);
  writeFileSync(path.join(dir, 'bad-hash.json'), JSON.stringify({ ...saved, planHash: 'not-a-hash' }));
  writeFileSync(path.join(dir, 'not-json.json'), '{"format": "stack-saved-plan",');
  const other = '0'.repeat(64);
  writeFileSync(path.join(dir, 'edited.json'), JSON.stringify({ ...saved, planHash: other }));
  const since = await eventWindowStart();

  const bad = await applyFile(dir, 'bad-hash.json');
  t.is(bad.code, 1);
  t.regex(bad.stderr, /saved plan bad-hash\.json is not a plan stack can apply: planHash: expected a sha256/);
  const notJson = await applyFile(dir, 'not-json.json');
  t.is(notJson.code, 1);
  t.regex(notJson.stderr, /saved plan not-json\.json is not a plan stack can apply: not JSON/);
  const edited = await runStack(['apply', '--plan', 'edited.json', '-i', 'inventory.yaml'], dir);
  t.is(edited.code, 1);
  t.regex(edited.stderr, /saved plan is stale: the plan made now differs from the saved one/);
  const missing = await applyFile(dir, 'nowhere.json');
  t.is(missing.code, 1);
  t.regex(missing.stderr, /saved plan nowhere\.json does not exist/);
  for (const r of [bad, notJson, edited, missing]) t.notRegex(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  t.deepEqual(await stackEvents(name, since), [], 'no write on any host');
  t.deepEqual(await placed(name), {});
});

test('with Consul: a saved plan made before another apply is refused, the latest revision named', async (t) => {
  const name = uniqueStack('sp');
  const env = { CONSUL_HTTP_ADDR: consulAddress() };
  const dir = writeDir({ 'compose.yaml': stackFile(name, 1), 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
  t.teardown(() => runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir, env).then(() => undefined));
  const planned = await runStack(['plan', '-o', 'plan.json', '-i', 'inventory.yaml'], dir, env);
  t.is(planned.code, 0, planned.stderr);
  t.regex(readFileSync(path.join(dir, 'plan.json'), 'utf8'), /"store": "Consul at /);
  // Someone applies another version meanwhile (revision 1), then the file is put back as it was planned.
  writeFileSync(path.join(dir, 'compose.yaml'), stackFile(name, 1, 'other'));
  t.is((await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir, env)).code, 0);
  writeFileSync(path.join(dir, 'compose.yaml'), stackFile(name, 1));
  const since = await eventWindowStart();
  const stale = await runStack(['apply', 'plan.json', '-i', 'inventory.yaml'], dir, env);
  t.is(stale.code, 1, stale.stdout);
  t.regex(stale.stderr, /the stack's latest revision is revision \d+, the plan was made against no revision/);
  t.regex(stale.stderr, /the observed state changed: host h\d/);
  t.deepEqual(await stackEvents(name, since), [], 'no write on any host');
  // A new plan of the same file applies: revision and hosts as they are now.
  t.is((await runStack(['plan', '-o', 'again.json', '-i', 'inventory.yaml'], dir, env)).code, 0);
  const applied = await runStack(['apply', 'again.json', '-i', 'inventory.yaml'], dir, env);
  t.is(applied.code, 0, applied.stderr);
  const found = await containersOf(name);
  t.deepEqual([...found.keys()], [`${name}-app-1`]);
  t.regex(
    (await runStack(['history', '-i', 'inventory.yaml'], dir, env)).stdout,
    /apply [\s\S]*apply/,
    'two revisions: the other apply and the saved plan',
  );
});
