/**
 * A HEALTHCHECK defined by the image, not the file, gates a rolling update on the real sandbox (h1–h3), through
 * the CLI: the plan cannot see the image, so each wait decides from the created container's inspect (its
 * Config.Healthcheck, which the daemon merged from the image). A version whose image healthcheck fails is rolled
 * back as unhealthy (not counted as updated after `monitor`), and its revision records the failed apply, the
 * rollout rolled back and the replica; a healthy one is waited on until healthy.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type Docker from 'dockerode';
import { cleanup, containersOf, desiredFor, docker, sandbox, uniqueStack, IMAGE } from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';
import { runningIds } from './rollout-helpers.js';

const MAIN = ['h1', 'h2', 'h3'];

async function follow(d: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  const out = await new Promise<any[]>((resolve, reject) =>
    d.modem.followProgress(stream, (err: Error | null, o: any[]) => (err ? reject(err) : resolve(o))),
  );
  const bad = out.find((o) => o.error);
  if (bad) throw new Error(bad.error);
}

/** busybox with a HEALTHCHECK of its own (healthy once /tmp/ok exists), pushed to the sandbox registry from h1. */
let imageRef = '';
test.before(async () => {
  ensureBuilt();
  imageRef = `${sandbox().registry}/${uniqueStack('imghc')}:1`;
  const d = docker('h1');
  await follow(d, await d.pull(IMAGE()));
  const c = await d.createContainer({ Image: IMAGE(), Cmd: ['true'] });
  await c.start();
  await c.wait();
  const [repo, tag] = [imageRef.slice(0, imageRef.lastIndexOf(':')), imageRef.slice(imageRef.lastIndexOf(':') + 1)];
  await c.commit({ repo, tag, changes: 'HEALTHCHECK --interval=1s --timeout=10s --retries=2 CMD test -f /tmp/ok' });
  await c.remove();
  const hc = (await d.getImage(imageRef).inspect()).Config.Healthcheck;
  if (!hc?.Test?.includes('test -f /tmp/ok')) throw new Error(`the image has no healthcheck: ${JSON.stringify(hc)}`);
  await follow(d, await d.getImage(imageRef).push({ authconfig: { key: Buffer.from('{}').toString('base64') } }));
});

/** No healthcheck in the file; `healthy: false` never creates /tmp/ok, so the image's check fails. monitor 1s: far shorter than the time to unhealthy. */
const stackFile = (name: string, body: string, healthy: boolean) => `name: ${name}
services:
  api:
    image: ${imageRef}
    command: ["sh", "-c", ${JSON.stringify(`${healthy ? 'touch /tmp/ok; ' : ''}trap 'exit 0' TERM; sleep 3600 & wait`)}]
    environment: { BODY: ${body} }
    stop_grace_period: 2s
    deploy:
      replicas: 2
      placement:
        constraints: ["node.labels.pool == main"]
      update_config: { parallelism: 1, monitor: 1s, failure_action: rollback }
`;

async function setUp(t: Parameters<typeof cleanup>[0], prefix: string) {
  const name = uniqueStack(prefix);
  const dir = writeDir({
    'compose.yaml': stackFile(name, 'v1', true),
    'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)),
  });
  cleanup(t, desiredFor(name, [], 'socket'));
  const first = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(first.code, 0, first.stdout + first.stderr);
  const before = await runningIds(name, 'api');
  t.is(before.length, 2);
  return { name, dir, before };
}

interface Event {
  type: string;
  op?: { id: string; kind: string };
  detail?: string;
  outcome?: { service: string; outcome: string; updated: string[] };
}

test('a healthy version is waited on until its image healthcheck says healthy (the --json events say so)', async (t) => {
  const { name, dir, before } = await setUp(t, 'ihok');
  writeFileSync(path.join(dir, 'compose.yaml'), stackFile(name, 'v2', true));
  const plan = await runStack(['plan', '-i', 'inventory.yaml'], dir);
  t.regex(
    plan.stdout,
    /rollout api: 2 replicas, 1 at a time, stop-first, each replica healthy, or running 1s \(monitor\) if its image has no healthcheck, delay 0s; on failure rollback/,
  );
  const r = await runStack(['apply', '--yes', '--json', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 0, r.stdout + r.stderr);
  const events = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{"type"'))
    .map((l) => JSON.parse(l) as Event);
  const waits = events.filter((e) => e.type === 'op-done' && e.op?.kind === 'container.wait-ready');
  t.deepEqual(waits.map((e) => e.op!.id.replace(/^h\d /, '')).sort(), [
    `wait healthy or running ${name}-api-1_next`,
    `wait healthy or running ${name}-api-2_next`,
  ]);
  t.true(
    waits.every((e) => e.detail === "healthy (its image's healthcheck)"),
    JSON.stringify(waits),
  );
  t.like(events.find((e) => e.type === 'rollout')?.outcome, { service: 'api', outcome: 'completed' });
  const after = await runningIds(name, 'api');
  t.is(after.length, 2);
  t.true(after.every((c) => c.hash !== before[0].hash));
  for (const c of after)
    t.is((await docker(c.host).getContainer(c.id).inspect()).State.Health?.Status, 'healthy', c.name);
});

test('a version whose image healthcheck fails, with failure_action rollback: rolled back as unhealthy, exit 1, the output names the replica', async (t) => {
  const { name, dir, before } = await setUp(t, 'ihbad');
  writeFileSync(path.join(dir, 'compose.yaml'), stackFile(name, 'v2', false));
  const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(r.stdout, /rollout api: rolled back/);
  t.regex(
    r.stdout,
    new RegExp(`replica ${name}-api-\\d on h\\d failed: ${name}-api-\\d_next: unhealthy \\(last check exit 1`),
  );
  // exactly the previous version runs, nothing left over
  const after = await runningIds(name, 'api');
  t.deepEqual(after.map((c) => c.id).sort(), before.map((c) => c.id).sort());
  t.deepEqual(
    [...(await containersOf(name)).keys()].filter((n) => /_(kept|next)$/.test(n)),
    [],
  );
  // The revision (local state directory: no Consul in this inventory) records the failed apply and how the rollout ended.
  const history = await runStack(['history', '--json', '-i', 'inventory.yaml'], dir);
  t.is(history.code, 0, history.stderr);
  const revisions = (
    JSON.parse(history.stdout) as {
      store: string;
      revisions: {
        result: string;
        rollouts?: {
          service: string;
          outcome: string;
          failures: { replica: string; host: string; reason: string }[];
          rolledBack: string[];
        }[];
      }[];
    }
  ).revisions;
  t.deepEqual(
    revisions.map((x) => x.result),
    ['ok', 'failed'],
  );
  t.is(revisions[0].rollouts, undefined, 'the first apply rolled nothing');
  const [rollout] = revisions[1].rollouts ?? [];
  t.like(rollout, { service: 'api', outcome: 'rolled-back' });
  t.is(rollout.failures.length, 1);
  t.regex(rollout.failures[0].replica, new RegExp(`^${name}-api-\\d$`));
  t.regex(rollout.failures[0].reason, /_next: unhealthy \(last check exit 1/);
  t.true(MAIN.includes(rollout.failures[0].host));
  t.true(rollout.rolledBack.every((x) => x !== rollout.failures[0].replica));
  const text = await runStack(['history', '-i', 'inventory.yaml'], dir);
  t.regex(
    text.stdout,
    new RegExp(
      `\n2 +apply +failed .*\n    rollout api: rolled back.*\n      replica ${rollout.failures[0].replica} on ${rollout.failures[0].host} failed: .*unhealthy`,
    ),
  );
});

test('depends_on service_healthy on a service whose image has the healthcheck: the dependent starts once it is healthy; with no healthcheck anywhere the apply fails saying so, and the dependent is not started', async (t) => {
  const name = uniqueStack('dephc');
  const file = (dbImage: string) => `name: ${name}
services:
  db:
    image: ${dbImage}
    command: ["sh", "-c", "sleep 2; touch /tmp/ok; trap 'exit 0' TERM; sleep 3600 & wait"]
    stop_grace_period: 1s
    deploy: { placement: { constraints: ["node.hostname == h2"] } }
  web:
    image: ${IMAGE()}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    depends_on: { db: { condition: service_healthy } }
    stop_grace_period: 1s
    deploy: { placement: { constraints: ["node.hostname == h1"] } }
`;
  const dir = writeDir({ 'compose.yaml': file(imageRef), 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
  cleanup(t, desiredFor(name, [], 'socket'));
  const ok = await runStack(['apply', '--yes', '--json', '-i', 'inventory.yaml'], dir);
  t.is(ok.code, 0, ok.stdout + ok.stderr);
  const events = ok.stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => JSON.parse(l) as Event & { time?: string });
  const waited = events.find((e) => e.type === 'op-done' && e.op?.kind === 'container.wait-healthy');
  t.is(waited?.detail, "healthy (its image's healthcheck)");
  const dbState = (await docker('h2').getContainer(`${name}-db-1`).inspect()).State;
  t.is(dbState.Health?.Status, 'healthy');
  const webStarted = Date.parse((await docker('h1').getContainer(`${name}-web-1`).inspect()).State.StartedAt);
  t.true(
    webStarted > Date.parse(dbState.StartedAt) + 1500,
    'web started after db turned healthy (about 2 s after its start)',
  );

  // The same with an image that has no healthcheck: nothing to wait for, said at once, web left alone.
  const bare = uniqueStack('depno');
  const bareDir = writeDir({
    'compose.yaml': file(IMAGE()).replace(`name: ${name}`, `name: ${bare}`),
    'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)),
  });
  cleanup(t, desiredFor(bare, [], 'socket'));
  const failed = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], bareDir);
  t.is(failed.code, 1);
  t.regex(
    failed.stdout + failed.stderr,
    new RegExp(`${bare}-db-1 has no healthcheck \\(neither the file nor its image defines one\\)`),
  );
  const web = (await containersOf(bare)).get(`${bare}-web-1`);
  t.true(!web || web.info.State !== 'running', 'web was not started');
});
