/**
 * The built `stack plan` on h1–h3: --detailed-exitcode is 2 for a stack not yet applied and 0 once it is;
 * --json prints one JSON document (operations with ids, causes and dependencies, changes, summary); planning
 * writes nothing on any host.
 */
import test from 'ava';
import { deploy, desiredFor, stackEvents, uniqueStack, IMAGE, eventWindowStart } from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';

const MAIN = ['h1', 'h2', 'h3'];
test.before(() => ensureBuilt());

interface PlanDoc {
  format_version: string;
  stack: string;
  hosts: string[];
  has_changes: boolean;
  summary: Record<'create' | 'replace' | 'update' | 'delete', number>;
  changes: { host: string; type: string; resource: string; name: string; action: string; cause: string }[];
  operations: {
    id: string;
    kind: string;
    host: string;
    resource: string;
    cause: string;
    deps: string[];
    write: boolean;
  }[];
  diagnostics: unknown[];
}

function stackFile(name: string): string {
  return (
    `name: ${name}\nservices:\n  app:\n    image: ${IMAGE()}\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]\n` +
    `    stop_grace_period: 1s\n    deploy:\n      replicas: 2\n      placement:\n        constraints: ["node.labels.pool == main"]\n`
  );
}

test('plan --detailed-exitcode: 2 before the first apply (writing nothing), 0 after; --json is one document with ids, causes and a summary', async (t) => {
  const name = uniqueStack('p');
  const dir = writeDir({ 'compose.yaml': stackFile(name), 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
  t.teardown(() =>
    deploy(desiredFor(name, [], 'socket'), { destroy: true, pruneVolumes: true }).then(
      () => undefined,
      () => undefined,
    ),
  );

  const since = await eventWindowStart();
  const human = await runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
  t.is(human.code, 2, human.stderr);
  const line = new RegExp(
    `^stack ${name}: (\\d+) to create, 0 to replace, 0 to update, 0 to delete \\((\\d+) operations\\)\\n`,
  ).exec(human.stdout);
  t.truthy(line, human.stdout);
  const plain = await runStack(['plan', '-i', 'inventory.yaml'], dir);
  t.is(plain.code, 0, 'without --detailed-exitcode, changes are not an error');

  const r = await runStack(['plan', '--json', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 2, r.stderr);
  const doc = JSON.parse(r.stdout) as PlanDoc; // throws unless stdout is exactly one JSON document
  t.like(doc, { format_version: '1', stack: name, has_changes: true, diagnostics: [] });
  t.deepEqual([...doc.hosts].sort(), MAIN);
  // Two replicas and the default network (a bridge network, one per host where a replica goes).
  const containers = doc.changes.filter((c) => c.type === 'container');
  t.deepEqual(containers.map((c) => [c.resource, c.action, c.name]).sort(), [
    ['service:app:1', 'create', `${name}-app-1`],
    ['service:app:2', 'create', `${name}-app-2`],
  ]);
  t.deepEqual(doc.summary, {
    create: doc.changes.filter((c) => c.type !== 'image' && c.action === 'create').length,
    replace: 0,
    update: 0,
    delete: 0,
  });
  const networks = doc.changes.filter((c) => c.type === 'network');
  t.deepEqual(
    networks.map((c) => `${c.host} ${c.resource} ${c.action}`).sort(),
    [...new Set(containers.map((c) => c.host))].sort().map((h) => `${h} network:default create`),
  );
  t.is(doc.summary.create, containers.length + networks.length);
  t.deepEqual(
    [Number(line![1]), Number(line![2])],
    [doc.summary.create, doc.operations.length],
    'the human summary counts the same plan',
  );
  for (const c of doc.changes) t.true(c.cause.length > 0, `${c.resource} has a cause`);

  const ids = new Set(doc.operations.map((o) => o.id));
  t.is(ids.size, doc.operations.length, 'operation ids are unique');
  for (const o of doc.operations) {
    t.true(MAIN.includes(o.host), o.id);
    t.true(o.cause.length > 0 && o.resource.length > 0, `${o.id} has a resource and a cause`);
    for (const d of o.deps) t.true(ids.has(d), `${o.id} depends on ${d}, which is in the plan`);
  }
  for (const slot of ['1', '2']) {
    const create = doc.operations.find((o) => o.kind === 'container.create' && o.resource === `service:app:${slot}`);
    const start = doc.operations.find((o) => o.kind === 'container.start' && o.resource === `service:app:${slot}`);
    t.truthy(create, `create of replica ${slot}`);
    t.truthy(start, `start of replica ${slot}`);
    t.true(start!.deps.includes(create!.id), 'start waits for its create');
    t.true(
      create!.deps.some((d) => doc.operations.find((o) => o.id === d)?.kind === 'network.create'),
      'create waits for its network',
    );
  }
  t.deepEqual(await stackEvents(name, since), [], 'planning writes nothing');

  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(applied.code, 0, applied.stderr);

  const after = await runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
  t.is(after.code, 0, after.stderr);
  t.is(after.stdout, `stack ${name}: no changes\n`);
  const json = await runStack(['plan', '--json', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
  t.is(json.code, 0, json.stderr);
  const same = JSON.parse(json.stdout) as PlanDoc;
  t.like(same, {
    stack: name,
    has_changes: false,
    operations: [],
    summary: { create: 0, replace: 0, update: 0, delete: 0 },
  });
});
