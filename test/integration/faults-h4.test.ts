/**
 * Faults that stop a daemon: only on h4 (pool=spare), serially. Restart policies across a real daemon
 * restart; a host lost in the middle of an apply over h1–h4 (the others finish, exit 1, the report
 * names the root cause and what was skipped) and the re-run after it is back; a host lost while a failed
 * update is being rolled back, and the apply of the previous file that converges once it is back.
 */
import { execFileSync } from 'node:child_process';
import test from 'ava';
import Docker from 'dockerode';
import { Labels } from '../../src/labels.js';
import { dockerOptions } from '../../src/docker/client.js';
import { sandbox } from '../helpers/sandbox.js';
import { eventually, IMAGE, uniqueStack } from './reconcile-helpers.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ensureBuilt,
  inventoryYaml,
  runStack,
  sandboxHosts,
  startStack,
  watchEvents,
  writeDir,
  type InventoryHost,
} from './cli-helpers.js';
import { apiStack } from './rollout-helpers.js';
import { endpointOf } from '../helpers/endpoint.js';

const ALL = ['h1', 'h2', 'h3', 'h4'];
const sb = sandbox();
const h4 = sb.hosts.find((h) => h.name === 'h4')!;
/** h4 over tcp+TLS: once its dockerd is gone, connections are refused by its (still present) network namespace. */
const h4Tls: InventoryHost = { name: 'h4', endpoint: h4.tcp, tls: h4.tls, labels: h4.labels };
const engine = (name: string) => {
  const h = sb.hosts.find((x) => x.name === name)!;
  return new Docker(dockerOptions(endpointOf(h.socket)));
};

const sandboxCmd = (...args: string[]) =>
  execFileSync('bash', [sb.sandboxScript, ...args], {
    stdio: 'ignore',
    env: { ...process.env, STACK_SANDBOX_HOSTS: '4' },
  });
async function restartH4(): Promise<void> {
  sandboxCmd('stop-host', 'h4');
  sandboxCmd('start-host', 'h4');
  await eventually(
    async () =>
      (await engine('h4')
        .ping()
        .then(
          () => true,
          () => false,
        )) || undefined,
    60_000,
    'h4 to answer',
  );
}

async function containers(stack: string, hosts = ALL) {
  const out: { host: string; name: string; state: string; labels: Record<string, string> }[] = [];
  for (const h of hosts)
    for (const c of await engine(h).listContainers({ all: true, filters: { label: [`${Labels.stack}=${stack}`] } }))
      out.push({ host: h, name: c.Names[0].slice(1), state: c.State, labels: c.Labels });
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

async function destroy(dir: string): Promise<void> {
  await engine('h4')
    .ping()
    .catch(() => restartH4());
  await runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir);
}

test.before(() => ensureBuilt());

test.serial(
  'restart policies across a daemon restart: always and unless-stopped come back, no does not, unless-stopped stopped by hand stays stopped',
  async (t) => {
    const name = uniqueStack('rp');
    const svc = (s: string, restart: string) =>
      `  ${s}:\n    image: ${IMAGE()}\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]\n    restart: ${restart}\n`;
    const file = `name: ${name}\nservices:\n${svc('always', 'always')}${svc('unless', 'unless-stopped')}${svc('never', '"no"')}${svc('byhand', 'unless-stopped')}`;
    const dir = writeDir({ 'compose.yaml': file, 'inventory.yaml': inventoryYaml(sandboxHosts(['h4'])) });
    t.teardown(() => destroy(dir));
    const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
    t.is(r.code, 0, r.stdout + r.stderr);
    t.deepEqual(
      (await containers(name, ['h4'])).map((c) => c.state),
      ['running', 'running', 'running', 'running'],
    );
    await engine('h4').getContainer(`${name}-byhand-1`).stop({ t: 1 });

    await restartH4();
    const state = async () =>
      Object.fromEntries((await containers(name, ['h4'])).map((c) => [c.labels[Labels.service], c.state]));
    const back = await eventually(
      async () => {
        const s = await state();
        return s.always === 'running' && s.unless === 'running' ? s : undefined;
      },
      30_000,
      'always and unless-stopped to run again',
    );
    t.is(back.never, 'exited');
    t.is(back.byhand, 'exited');
    const never = await engine('h4').getContainer(`${name}-never-1`).inspect();
    t.is(never.HostConfig.RestartPolicy?.Name, 'no');
    t.false(never.State.Running);
  },
);

test.serial(
  'a host lost during apply: the others finish, exit 1 with the root cause and what was skipped; after it is back a re-run converges',
  async (t) => {
    const name = uniqueStack('lost');
    // Host concurrency 1 and 10 containers pinned to h4 give h4 a queue long enough to die in the middle of.
    const file =
      `name: ${name}\nx-stack:\n  concurrency: { host: 1, global: 32 }\nservices:\n` +
      `  spread:\n    image: ${IMAGE()}\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]\n    restart: unless-stopped\n    deploy:\n      replicas: 8\n` +
      `  pinned:\n    image: ${IMAGE()}\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]\n    restart: unless-stopped\n    deploy:\n      replicas: 10\n      placement:\n        constraints: ["node.hostname == h4"]\n`;
    const dir = writeDir({
      'compose.yaml': file,
      'inventory.yaml': inventoryYaml([...sandboxHosts(['h1', 'h2', 'h3']), h4Tls]),
    });
    t.teardown(() => destroy(dir));

    let stopped: Promise<unknown> | undefined;
    const watch = await watchEvents(['h4'], name, (e) => {
      if (!stopped && e.Type === 'container' && e.Action === 'create')
        stopped = Promise.resolve().then(() => sandboxCmd('stop-host', 'h4'));
    });
    let r;
    try {
      r = await startStack(['apply', '--yes', '-i', 'inventory.yaml'], dir).done;
    } finally {
      watch.stop();
    }
    await stopped;
    t.log(
      r.stdout
        .split('\n')
        .filter((l) => /apply failed|host lost|error:|skipped because/.test(l))
        .join('\n')
        .slice(0, 1500),
    );
    t.truthy(stopped, 'h4 saw a create before it was stopped');
    t.is(r.code, 1, r.stdout + r.stderr);
    // refused or reset once it is gone; while it shuts down, its closed local store (see faults.ts, SHUTTING_DOWN)
    t.regex(
      r.stdout,
      /host lost: h4: host h4: .*(ECONNREFUSED|ECONNRESET|ENOENT|socket hang up|EPIPE|open : no such file or directory)/,
    );
    t.regex(r.stdout, /error: h4 [^\n]+\n\s+skipped because of it \(\d+\): h4 /);
    // The other hosts' work finished: every spread replica placed on h1–h3 runs.
    const others = await containers(name, ['h1', 'h2', 'h3']);
    t.is(others.length, 6);
    for (const c of others) t.is(c.state, 'running', c.name);

    sandboxCmd('start-host', 'h4');
    await eventually(
      async () =>
        (await engine('h4')
          .ping()
          .then(
            () => true,
            () => false,
          )) || undefined,
      60_000,
      'h4 to answer',
    );
    const again = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
    t.is(again.code, 0, again.stdout + again.stderr);
    const all = await containers(name);
    const want = [
      ...Array.from({ length: 10 }, (_, i) => `${name}-pinned-${i + 1}`),
      ...Array.from({ length: 8 }, (_, i) => `${name}-spread-${i + 1}`),
    ].sort();
    t.deepEqual(
      all.map((c) => c.name),
      want,
      'no duplicates, no leftovers',
    );
    for (const c of all) t.is(c.state, 'running', c.name);
    t.true(all.filter((c) => c.name.includes('-pinned-')).every((c) => c.host === 'h4'));
    t.is(new Set(all.filter((c) => c.name.includes('-spread-')).map((c) => c.host)).size, 4);
    const plan = await runStack(['plan', '--refresh', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
    t.is(plan.code, 0, plan.stdout + plan.stderr);
  },
);

test.serial(
  'a host lost while a failed update is rolled back: exit 1; once it is back, applying the previous file converges',
  async (t) => {
    const name = uniqueStack('lostrb');
    // v2 starts once: its first replica takes the marker directory and serves; the second finds it taken and exits.
    // v1 serves only after 3 s, so the rollback (which waits for the put-back v1 to be healthy) is long enough for
    // h4 to go in the middle of it. restart: unless-stopped, as services in production have: the daemon starts
    // them again when it is back, and stack has to deal with what the rollback left (kept and new containers).
    const version = (body: string, once: boolean) =>
      apiStack(name, {
        body,
        replicas: 2,
        constraint: 'node.hostname == h4',
        preamble: once
          ? `if ! mkdir /m/taken 2>/dev/null; then echo ${body} runs only once; exit 3; fi; `
          : 'sleep 3; ',
        extra: '    restart: unless-stopped\n    volumes: ["marker:/m"]\n',
        volumes: 'volumes:\n  marker: {}\n',
        update: { failure_action: 'rollback' },
      });
    const dir = writeDir({ 'compose.yaml': version('v1', false), 'inventory.yaml': inventoryYaml([h4Tls]) });
    t.teardown(() => destroy(dir));
    const first = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
    t.is(first.code, 0, first.stdout + first.stderr);
    const running = async () => (await containers(name, ['h4'])).filter((c) => c.state === 'running');
    const before = await running();
    t.is(before.length, 2);

    // v2's first replica updates, its second fails, and the rollback puts v1 back — h4 goes while it does.
    writeFileSync(path.join(dir, 'compose.yaml'), version('v2', true));
    const run = startStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
    const deadline = Date.now() + 180_000;
    // A step's line is printed once it is done: after the put-back v1's start, its wait for health (≥ 3 s) is in flight.
    const started = /rollback api: h4 start /;
    while (!started.test(run.stdout()) && run.child.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    t.regex(run.stdout(), started, 'the rollback started the put-back v1');
    sandboxCmd('stop-host', 'h4');
    const r = await run.done;
    t.is(r.code, 1, r.stdout + r.stderr);
    t.log(
      r.stdout
        .split('\n')
        .filter((l) => /rollout api|rollback step|host lost|error:/.test(l))
        .join('\n')
        .slice(0, 1500),
    );
    // The put-back v1 was stopped by its daemon going away before it was healthy: the report does not claim otherwise.
    t.regex(r.stdout, /rollout api: rollback incomplete/);
    t.regex(r.stdout, new RegExp(`rollback step h4 rollback: wait healthy ${name}-api-\\d failed`));

    sandboxCmd('start-host', 'h4');
    await eventually(
      async () =>
        (await engine('h4')
          .ping()
          .then(
            () => true,
            () => false,
          )) || undefined,
      60_000,
      'h4 to answer',
    );
    writeFileSync(path.join(dir, 'compose.yaml'), version('v1', false));
    const again = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
    t.is(again.code, 0, again.stdout + again.stderr);
    const all = await containers(name, ['h4']);
    t.deepEqual(
      all.map((c) => c.name),
      [`${name}-api-1`, `${name}-api-2`],
      'no kept or temporary container left, no duplicate',
    );
    const after = await running();
    t.is(after.length, 2, JSON.stringify(all));
    t.true(
      after.every((c) => c.labels[Labels.configHash] === before[0].labels[Labels.configHash]),
      'every replica runs the previous version',
    );
    const plan = await runStack(['plan', '--refresh', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
    t.is(plan.code, 0, plan.stdout + plan.stderr);
  },
);
