/**
 * SIGINT (SIGTERM at k = 45) during `stack apply` of 30 containers over h1–h3, after the k-th Docker event of
 * the stack (watched live on the hosts' event streams), k ∈ {1, 5, 20, 45, 80}: exit 130; a re-run converges:
 * the end state equals the file, with no duplicates and no leftovers (temporary `_next`
 * containers or helpers). The first run creates everything; the later ones replace everything (a
 * new RELEASE each time), so interruptions land inside replaces too.
 */
import { writeFileSync } from 'node:fs';
import test from 'ava';
import { Labels } from '../../src/labels.js';
import { containersOf, deploy, desiredFor, docker, IMAGE, uniqueStack } from './reconcile-helpers.js';
import {
  ensureBuilt,
  inventoryYaml,
  runStack,
  sandboxHosts,
  startStack,
  watchEvents,
  writeDir,
} from './cli-helpers.js';

const MAIN = ['h1', 'h2', 'h3'];
const SERVICES = ['a', 'b', 'c'];
const REPLICAS = 10;
const name = uniqueStack('k');
const dir = writeDir({ 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });

function stackFile(
  release: string,
  health?: { test: string; retries: number },
  stack = name,
  replicas = REPLICAS,
): string {
  const check = health
    ? `    healthcheck: { test: ["CMD-SHELL", "${health.test}"], interval: 1s, timeout: 10s, retries: ${health.retries} }\n`
    : '';
  const svc = (s: string) =>
    `  ${s}:\n    image: ${IMAGE()}\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]\n    environment: { RELEASE: "${release}" }\n${check}    networks: [net]\n    deploy:\n      replicas: ${replicas}\n      placement:\n        constraints: ["node.labels.pool == main"]\n`;
  return `name: ${stack}\nservices:\n${SERVICES.map(svc).join('')}networks:\n  net: {}\n`;
}

test.before(() => ensureBuilt());
test.after.always(async () => {
  await deploy(desiredFor(name, [], 'socket'), { destroy: true, pruneVolumes: true });
});

/** The hosts hold exactly what the file says: one running container per slot, RELEASE as written, nothing else. */
async function assertConverged(
  t: import('ava').ExecutionContext,
  release: string,
  stack = name,
  replicas = REPLICAS,
  d = dir,
): Promise<void> {
  const found = await containersOf(stack);
  const want = SERVICES.flatMap((s) => Array.from({ length: replicas }, (_, i) => `${stack}-${s}-${i + 1}`)).sort();
  t.deepEqual([...found.keys()].sort(), want, 'one container per slot, no _next, no helper, no duplicate');
  for (const [cname, { host, info }] of found) {
    t.is(info.State, 'running', cname);
    t.is<string | undefined, undefined>(info.Labels[Labels.replaceRole], undefined, cname);
    t.true(MAIN.includes(host));
    const c = await docker(host).getContainer(cname).inspect();
    t.true(c.Config.Env.includes(`RELEASE=${release}`), `${cname} has RELEASE=${release}`);
  }
  const plan = await runStack(['plan', '--detailed-exitcode', '-f', 'compose.yaml', '-i', 'inventory.yaml'], d);
  t.is(plan.code, 0, `no changes left:\n${plan.stdout}${plan.stderr}`);
}

// SIGTERM is what CI runners send when a job is cancelled: one case takes it instead of SIGINT.
for (const [k, signal] of [
  [1, 'SIGINT'],
  [5, 'SIGINT'],
  [20, 'SIGINT'],
  [45, 'SIGTERM'],
  [80, 'SIGINT'],
] as const) {
  test.serial(
    `${signal} after event ${k}: exit 130, then a re-run converges with no duplicates or leftovers`,
    async (t) => {
      const release = `r${k}`;
      writeFileSync(`${dir}/compose.yaml`, stackFile(release));
      let fire: () => void = () => undefined;
      const kth = new Promise<void>((r) => (fire = r));
      const watch = await watchEvents(MAIN, name, (_e, n) => n === k && fire());
      try {
        const run = startStack(['apply', '--yes', '-f', 'compose.yaml', '-i', 'inventory.yaml'], dir);
        const first = await Promise.race([kth.then(() => 'kth' as const), run.done.then(() => 'exited' as const)]);
        t.is(first, 'kth', 'the apply made at least k events');
        run.child.kill(signal);
        const r = await run.done;
        t.is(r.code, 130, `${r.stdout}\n${r.stderr}`);
        t.regex(r.stdout, new RegExp(`${signal}: starting nothing new`));
        t.regex(r.stderr, /interrupted/);
      } finally {
        watch.stop();
      }
      // The interrupted run released the stack's lock (the re-run would fail at once otherwise) and recorded its revision as interrupted.
      const history = await runStack(['history', '--json', '-f', 'compose.yaml', '-i', 'inventory.yaml'], dir);
      t.is(history.code, 0, history.stderr);
      t.is((JSON.parse(history.stdout).revisions as { result: string }[]).at(-1)?.result, 'interrupted');
      const again = await runStack(
        ['apply', '--yes', '--lock-timeout', '0', '-f', 'compose.yaml', '-i', 'inventory.yaml'],
        dir,
      );
      t.is(again.code, 0, `${again.stdout}\n${again.stderr}`);
      await assertConverged(t, release);
    },
  );
}

test.serial(
  'a second SIGINT stops at once, without waiting for operations in flight: exit 130, then a re-run converges',
  async (t) => {
    // Its own small stack (3 × 2 containers), so this test stays short on a busy machine.
    const small = uniqueStack('k2');
    const sdir = writeDir({ 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
    t.teardown(() =>
      deploy(desiredFor(small, [], 'socket'), { destroy: true, pruneVolumes: true }).then(() => undefined),
    );
    writeFileSync(`${sdir}/compose.yaml`, stackFile('before-twice', undefined, small, 2));
    t.is((await runStack(['apply', '--yes', '-f', 'compose.yaml', '-i', 'inventory.yaml'], sdir)).code, 0);
    // A healthcheck that stays "starting" keeps each service's first replace waiting in flight.
    writeFileSync(`${sdir}/compose.yaml`, stackFile('twice', { test: 'exit 1', retries: 1000 }, small, 2));
    let fire: () => void = () => undefined;
    const replacing = new Promise<void>((r) => (fire = r));
    const watch = await watchEvents(
      MAIN,
      small,
      (e) => e.Type === 'container' && e.Action === 'start' && e.name.endsWith('_next') && fire(),
    );
    try {
      const run = startStack(['apply', '--yes', '-f', 'compose.yaml', '-i', 'inventory.yaml'], sdir);
      t.is(
        await Promise.race([replacing.then(() => 'waiting' as const), run.done.then(() => 'exited' as const)]),
        'waiting',
      );
      run.child.kill('SIGINT');
      const deadline = Date.now() + 30_000;
      while (!/SIGINT: starting nothing new/.test(run.stdout()) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      run.child.kill('SIGINT');
      const r = await run.done;
      t.is(r.code, 130, `${r.stdout}\n${r.stderr}`);
      t.regex(r.stdout, /SIGINT again: stopping now/);
      t.regex(r.stderr, /interrupted: stopped at once/);
    } finally {
      watch.stop();
    }
    writeFileSync(`${sdir}/compose.yaml`, stackFile('twice', { test: 'exit 0', retries: 3 }, small, 2));
    const again = await runStack(
      ['apply', '--yes', '--lock-timeout', '0', '-f', 'compose.yaml', '-i', 'inventory.yaml'],
      sdir,
    );
    t.is(again.code, 0, `${again.stdout}\n${again.stderr}`);
    await assertConverged(t, 'twice', small, 2, sdir);
  },
);
