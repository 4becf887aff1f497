/**
 * The built `stack` command on h1–h3: no TTY and no --yes refuses before any write; --json prints
 * NDJSON ending with a summary that counts Engine calls per host; status; a no-op re-apply makes no
 * write call and no event, and reads per host, not per container; destroy keeps named volumes unless
 * --prune-volumes. The cycle runs over the hosts' unix sockets and over ssh:// (the same assertions).
 */
import test, { type ExecutionContext } from 'ava';
import { Labels } from '../../src/labels.js';
import {
  containersOf,
  desiredFor,
  deploy,
  docker,
  IMAGE,
  stackEvents,
  uniqueStack,
  eventWindowStart,
} from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';

const MAIN = ['h1', 'h2', 'h3'];
test.before(() => ensureBuilt());

function stackFile(name: string): string {
  return (
    `name: ${name}\nservices:\n  app:\n    image: ${IMAGE()}\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]\n` +
    `    volumes: ["data:/data"]\n    deploy:\n      replicas: 3\n      placement:\n        constraints: ["node.labels.pool == main"]\nvolumes:\n  data: {}\n`
  );
}

async function volumesOf(name: string): Promise<string[]> {
  const out: string[] = [];
  for (const h of MAIN)
    for (const v of (await docker(h).listVolumes({ filters: { label: [`${Labels.stack}=${name}`] } })).Volumes ?? [])
      out.push(`${h} ${v.Name}`);
  return out.sort();
}

test('no TTY and no --yes: exit 1 saying so, zero events', async (t) => {
  const name = uniqueStack('y');
  const dir = writeDir({ 'compose.yaml': stackFile(name), 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
  const since = await eventWindowStart();
  const r = await runStack(['apply', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 1);
  t.regex(r.stderr, /not a terminal: cannot ask for confirmation[\s\S]*--yes/);
  t.deepEqual(await stackEvents(name, since), []);
});

for (const transport of ['socket', 'ssh'] as const)
  test(`over ${transport}: apply --json, status, a no-op re-apply without writes, destroy keeps named volumes unless --prune-volumes`, (t) =>
    cycle(t, transport));

async function cycle(t: ExecutionContext, transport: 'socket' | 'ssh'): Promise<void> {
  const name = uniqueStack(transport === 'ssh' ? 'js' : 'j');
  const dir = writeDir({
    'compose.yaml': stackFile(name),
    'inventory.yaml': inventoryYaml(sandboxHosts(MAIN, transport)),
  });
  t.teardown(() =>
    deploy(desiredFor(name, [], 'socket'), { destroy: true, pruneVolumes: true }).then(
      () => undefined,
      () => undefined,
    ),
  );

  const r = await runStack(['apply', '--yes', '--json', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 0, r.stderr);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.is(events[0].type, 'plan');
  const summary = events.at(-1);
  t.is(summary.type, 'summary');
  t.true(summary.ok);
  t.is(summary.outcome, 'ok');
  t.deepEqual(Object.keys(summary.calls).sort(), MAIN);
  for (const h of MAIN)
    t.true(summary.calls[h].writes >= 3 && summary.calls[h].reads >= 1, `${h} ${JSON.stringify(summary.calls[h])}`);
  t.true(events.some((e) => e.type === 'op-done' && e.op.kind === 'container.start'));

  const status = await runStack(['status', '--json', '-i', 'inventory.yaml'], dir);
  t.is(status.code, 0, status.stderr);
  const rows = JSON.parse(status.stdout).services as {
    service: string;
    host: string;
    desired: number;
    running: number;
  }[];
  t.deepEqual(
    rows.map((x) => `${x.service} ${x.host} ${x.desired}/${x.running}`).sort(),
    MAIN.map((h) => `app ${h} 1/1`),
  );

  const since = await eventWindowStart();
  const again = await runStack(['apply', '--yes', '--json', '-i', 'inventory.yaml'], dir);
  t.is(again.code, 0, again.stderr);
  const last = JSON.parse(again.stdout.trim().split('\n').at(-1)!);
  for (const h of MAIN) t.is(last.calls[h].writes, 0, h);
  t.deepEqual(await stackEvents(name, since), []);

  // Observing costs per host, not per container: with three times the replicas a no-op reads as much.
  const { writeFileSync } = await import('node:fs');
  writeFileSync(`${dir}/compose.yaml`, stackFile(name).replace('replicas: 3', 'replicas: 9'));
  t.is((await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir)).code, 0);
  const bigger = await runStack(['apply', '--yes', '--json', '-i', 'inventory.yaml'], dir);
  t.is(bigger.code, 0, bigger.stderr);
  const biggerCalls = JSON.parse(bigger.stdout.trim().split('\n').at(-1)!).calls;
  // (the image's digest is asked of one host, the first whose ping answered: compared as a multiset)
  type Calls = Record<string, { reads: number; writes: number }>;
  const readsOf = (calls: Calls) => MAIN.map((h) => calls[h].reads).sort((a, b) => a - b);
  t.deepEqual(readsOf(biggerCalls), readsOf(last.calls), '3 containers per host read like 1');
  for (const h of MAIN) t.is(biggerCalls[h].writes, 0, h);
  writeFileSync(`${dir}/compose.yaml`, stackFile(name));
  t.is((await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir)).code, 0);

  t.is((await volumesOf(name)).length, 3);
  const keep = await runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(keep.code, 0, keep.stderr);
  t.regex(keep.stdout, new RegExp(`warning: .*volume ${name}_data on h\\d is no longer needed and is kept`));
  t.is((await containersOf(name)).size, 0);
  t.deepEqual(
    await volumesOf(name),
    MAIN.map((h) => `${h} ${name}_data`),
  );
  const prune = await runStack(['destroy', '--yes', '--prune-volumes', '-i', 'inventory.yaml'], dir);
  t.is(prune.code, 0, prune.stderr);
  t.deepEqual(await volumesOf(name), []);
}
