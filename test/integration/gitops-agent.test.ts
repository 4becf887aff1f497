/**
 * The reconcile agent (`stack reconcile`, the built CLI) against a real git repository — a bare repository on this
 * machine, fetched over file:// — and the sandbox's h1–h3:
 * - with a 2 s interval: a pushed change is applied within it, a commit with an invalid stack is reported and
 *   skipped while the running stack stays as it was, a container removed by hand is reported as drift and, with
 *   --drift repair, recreated;
 * - with a 1 h interval: only a signed webhook (POSTed to the agent on 127.0.0.1) makes it fetch and apply at once;
 *   a bad signature gets 401 and changes nothing; with --drift report a removed container is reported, not recreated;
 * - /metrics (scraped) shows each of these; the revisions record the commit they were applied from.
 */
import test, { type ExecutionContext } from 'ava';
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LocalStateStore } from '../../src/state/local-store.js';
import { lockInfo } from '../../src/state/lock-info.js';
import { repoRoot } from '../helpers/sandbox.js';
import { containersOf, deploy, desiredFor, docker, eventually, sandbox, uniqueStack } from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, sandboxHosts, stateDir, writeDir } from './cli-helpers.js';
import { githubPush, metric, RunningAgent, stackYaml, TestRepo } from './gitops-helpers.js';

const MAIN = ['h1', 'h2', 'h3'];
const SECRET = 'gitops-test-secret';
test.before(() => ensureBuilt());

async function running(name: string): Promise<{ host: string; id: string; name: string }[]> {
  const found = [...(await containersOf(name)).entries()];
  return found
    .filter(([, f]) => f.info.State === 'running')
    .map(([n, f]) => ({ host: f.host, id: f.info.Id, name: n }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The newest revision once it is the one of `commit`: an apply records its revision after it has ended, which can be
 * after its containers run (what the tests wait for first).
 */
function revisionOf(name: string, commit: string, why: () => Promise<string>) {
  return eventually(
    async () => {
      const latest = await latestRevision(name);
      return latest?.commit === commit ? latest : undefined;
    },
    30_000,
    `the revision of ${commit.slice(0, 7)}`,
    why,
  );
}

async function latestRevision(name: string) {
  const store = new LocalStateStore(stateDir);
  try {
    return (await store.list(name)).at(-1);
  } finally {
    store.close();
  }
}

function setUp(
  t: ExecutionContext,
  name: string,
  args: string[],
): { repo: TestRepo; dir: string; start: () => RunningAgent } {
  const repo = new TestRepo();
  const dir = writeDir({ 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
  writeFileSync(path.join(dir, 'secret'), `${SECRET}\n`);
  let agent: RunningAgent | undefined;
  t.teardown(async () => {
    await agent?.stop();
    await deploy(desiredFor(name, [], 'socket'), { destroy: true }).catch(() => undefined);
  });
  const base = [
    '--repo',
    repo.url,
    '--ref',
    'main',
    '--stack',
    'app',
    '-i',
    'inventory.yaml',
    '--listen',
    '127.0.0.1:0',
  ];
  const workDir = ['--work-dir', path.join(repo.root, 'agent')];
  return { repo, dir, start: () => (agent = new RunningAgent([...base, ...workDir, ...args], dir)) };
}

const count = (n: number, name: string) => async () => ((await running(name)).length === n ? true : undefined);

test.serial(
  'every 2 s: a pushed change is applied, an invalid commit is skipped with the stack left as it was, drift is repaired; /metrics shows each',
  async (t) => {
    const name = uniqueStack('g');
    const { repo, start } = setUp(t, name, ['--interval', '2s', '--drift', 'repair']);
    const c1 = repo.push({ 'app/compose.yaml': stackYaml(name, 2) }, 'two replicas');
    const agent = start();
    const why = async () => agent.log();
    await eventually(count(2, name), 60_000, 'the first commit applied', why);
    t.like(await revisionOf(name, c1, why), { commit: c1, command: 'reconcile', result: 'ok' });

    const c2 = repo.push({ 'app/compose.yaml': stackYaml(name, 3) }, 'three replicas');
    await eventually(count(3, name), 60_000, 'the pushed change applied within the interval', why);
    t.like(await revisionOf(name, c2, why), { commit: c2, result: 'ok' });

    const before = await running(name);
    const c3 = repo.push(
      { 'app/compose.yaml': `name: ${name}\nservices:\n  app:\n    image: [not, a, string]\n` },
      'bad',
    );
    const invalid = await eventually(
      async () => agent.find((e) => e.event === 'invalid' && e.commit === c3),
      60_000,
      'the invalid commit reported',
      why,
    );
    const diagnostics = invalid.diagnostics as { summary: string; where?: { file?: string; line?: number } }[];
    t.true(
      diagnostics.some((d) => d.where?.file?.endsWith('compose.yaml') && d.where.line === 4),
      JSON.stringify(invalid),
    );
    t.deepEqual(await running(name), before);
    t.like(await latestRevision(name), { commit: c2 });

    const c4 = repo.push({ 'app/compose.yaml': stackYaml(name, 3) }, 'fixed');
    await eventually(
      async () => agent.find((e) => e.event === 'applied' && e.commit === c4),
      60_000,
      'the fixed commit in place',
      why,
    );
    t.deepEqual(await running(name), before);

    const victim = before[0];
    await docker(victim.host).getContainer(victim.id).remove({ force: true });
    await eventually(
      async () => agent.find((e) => e.event === 'drift' && e.action === 'repair'),
      60_000,
      'the drift reported',
      why,
    );
    const repaired = await eventually(
      async () => (await running(name)).find((c) => c.name === victim.name && c.id !== victim.id),
      60_000,
      'the removed container recreated',
      why,
    );
    t.is(repaired.host, victim.host);

    const text = await (await fetch(`http://${agent.address()}/metrics`)).text();
    t.true((metric(text, 'stack_reconcile_applies_total{stack="app",outcome="ok"}') ?? 0) >= 3, text);
    t.is(metric(text, 'stack_reconcile_applies_total{stack="app",outcome="invalid"}'), 1, text);
    t.is(metric(text, 'stack_reconcile_failures_total{stack="app"}'), 1, text);
    t.true((metric(text, 'stack_reconcile_drift_checks_total{stack="app",result="drift"}') ?? 0) >= 1, text);
    t.is(metric(text, `stack_reconcile_last_applied_commit_info{stack="app",commit="${c4}"}`), 1, text);
    t.true((metric(text, 'stack_reconcile_apply_duration_seconds_count{stack="app"}') ?? 0) >= 3, text);
    t.is((await fetch(`http://${agent.address()}/healthz`)).status, 200);
  },
);

test.serial(
  'every hour: a bad signature gets 401 and changes nothing, a signed push is fetched and applied at once (after the lock another run holds), drift is reported only',
  async (t) => {
    const name = uniqueStack('w');
    const { repo, start } = setUp(t, name, ['--interval', '1h', '--webhook-secret-file', 'secret']);
    repo.push({ 'app/compose.yaml': stackYaml(name, 1) }, 'one replica');
    const agent = start();
    const why = async () => agent.log();
    await eventually(count(1, name), 60_000, 'the first commit applied', why);
    const url = `http://${agent.address()}/webhook`;

    const c2 = repo.push({ 'app/compose.yaml': stackYaml(name, 2) }, 'two replicas');
    const bad = githubPush('refs/heads/main', 'not-the-secret');
    const refused = await fetch(url, { method: 'POST', ...bad });
    t.is(refused.status, 401);
    await eventually(
      async () => agent.find((e) => e.event === 'webhook' && e.outcome === 'refused'),
      10_000,
      'the refusal logged',
      why,
    );
    t.is((await running(name)).length, 1);

    const store = new LocalStateStore(stateDir);
    const held = await store.acquire(name, lockInfo(name, 'held-by-test', { STACK_USER: 'tester' }), { timeoutMs: 0 });
    const good = await fetch(url, { method: 'POST', ...githubPush('refs/heads/main', SECRET) });
    t.is(good.status, 202);
    const waiting = await eventually(
      async () => agent.find((e) => e.event === 'lock-wait'),
      60_000,
      'the agent waiting for the lock the test holds',
      why,
    );
    t.regex(String(waiting.holder), /held-by-test/);
    t.is((await running(name)).length, 1);
    await held.release();
    store.close();
    await eventually(count(2, name), 60_000, 'the signed push applied at once', why);
    t.like(await revisionOf(name, c2, why), { commit: c2, command: 'reconcile' });

    const [victim] = await running(name);
    await docker(victim.host).getContainer(victim.id).remove({ force: true });
    t.is((await fetch(url, { method: 'POST', ...githubPush('refs/heads/main', SECRET) })).status, 202);
    const drift = await eventually(
      async () => agent.find((e) => e.event === 'drift'),
      60_000,
      'the drift reported',
      why,
    );
    t.like(drift, { action: 'report', commit: c2 });
    t.deepEqual(drift.changes, [`create service:app:${victim.name.split('-').at(-1)} on ${victim.host}`]);
    t.falsy(agent.find((e) => e.event === 'applying' && e.reason === 'drift repair'));
    t.is((await running(name)).length, 1);

    const text = await (await fetch(`http://${agent.address()}/metrics`)).text();
    t.is(metric(text, 'stack_reconcile_webhooks_total{provider="unknown",outcome="refused"}'), 1, text);
    t.is(metric(text, 'stack_reconcile_webhooks_total{provider="github",outcome="accepted"}'), 2, text);
    t.is(metric(text, 'stack_reconcile_drift_detected{stack="app"}'), 1, text);
    t.is(metric(text, 'stack_reconcile_lock_wait_seconds_count{stack="app"}'), 1, text);
    t.is(metric(text, `stack_reconcile_last_applied_commit_info{stack="app",commit="${c2}"}`), 1, text);
  },
);

test.serial(
  'every hour: deploy/gitops/post-receive in the bare repository wakes the agent at once on a push',
  async (t) => {
    const name = uniqueStack('h');
    const { repo, dir, start } = setUp(t, name, ['--interval', '1h', '--webhook-secret-file', 'secret']);
    repo.push({ 'app/compose.yaml': stackYaml(name, 1) }, 'one replica');
    const agent = start();
    const why = async () => agent.log();
    await eventually(count(1, name), 60_000, 'the first commit applied', why);
    copyFileSync(path.join(repoRoot, 'deploy/gitops/post-receive'), path.join(repo.bare, 'hooks/post-receive'));
    const hookEnv = {
      STACK_AGENT_URL: `http://${agent.address()}/webhook`,
      STACK_WEBHOOK_SECRET_FILE: path.join(dir, 'secret'),
    };
    const c2 = repo.push({ 'app/compose.yaml': stackYaml(name, 2) }, 'two replicas', hookEnv);
    await eventually(count(2, name), 60_000, 'the push applied at once', why);
    t.like(await revisionOf(name, c2, why), { commit: c2 });
    t.like(
      agent.find((e) => e.event === 'webhook'),
      { provider: 'github', outcome: 'accepted', ref: 'refs/heads/main' },
    );
  },
);

test.serial(
  '--once: a stack that builds its image is built on the builder, pushed, and applied by digest; its drift check finds it clean',
  async (t) => {
    const name = uniqueStack('gb');
    const { repo, dir, start } = setUp(t, name, ['--once']);
    const { registry } = sandbox();
    writeFileSync(
      path.join(dir, 'inventory.yaml'),
      `${inventoryYaml(sandboxHosts(MAIN))}registry: ${registry}\nbuilder: h1\n`,
    );
    const c1 = repo.push(
      {
        'app/compose.yaml': `name: ${name}\nservices:\n  web:\n    build: ./web\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n`,
        'app/web/Dockerfile': `FROM ${sandbox().images.busybox}\nRUN echo ${c1Marker(name)} > /built\n`,
      },
      'a service that builds',
    );
    const agent = start();
    const done = await agent.done;
    t.is(done.code, 0, agent.log());
    const [web] = await running(name);
    t.truthy(web, agent.log());
    const info = await docker(web.host).getContainer(web.id).inspect();
    t.regex(info.Config.Image, new RegExp(`^${registry.replace(/\./g, '\\.')}/${name}-web@sha256:[0-9a-f]{64}$`));
    t.like(await latestRevision(name), { commit: c1, command: 'reconcile', result: 'ok' });
    t.falsy(
      agent.find((e) => e.event === 'drift' || e.event === 'drift-check-failed'),
      agent.log(),
    );
  },
);

function c1Marker(name: string): string {
  return `built-for-${name}`;
}
