/**
 * The deploy layer called directly, with no CLI: a small stack applied on h1–h3 through deploy() — its
 * containers run on the hosts with the stack's labels and owner, one revision is recorded — then a second
 * deploy() of the same stack is a no-op: no question asked, no operation, no new revision.
 */
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploy, RunSignals, type DeployIO, type DeployOptions } from '../../src/deploy/deploy.js';
import type { ApplyEvent } from '../../src/apply/index.js';
import type { Plan } from '../../src/plan/types.js';
import type { Diagnostic } from '../../src/errors.js';
import { Labels } from '../../src/labels.js';
import { LocalStateStore } from '../../src/state/local-store.js';
import { containersOf, desiredFor, IMAGE, service, uniqueStack } from './reconcile-helpers.js';

interface Recorded {
  events: ApplyEvent[];
  plans: Plan[];
  noChanges: number;
  questions: string[];
  warnings: Diagnostic[];
}

function recordingIO(): { io: DeployIO; seen: Recorded } {
  const seen: Recorded = { events: [], plans: [], noChanges: 0, questions: [], warnings: [] };
  const io: DeployIO = {
    reporter: { event: (e) => seen.events.push(e) },
    showPlan: (plan) => seen.plans.push(plan),
    noChanges: () => seen.noChanges++,
    warn: (diagnostics) => seen.warnings.push(...diagnostics),
    lockWait: () => undefined,
    confirm: (question) => {
      seen.questions.push(question);
      return Promise.resolve();
    },
  };
  return { io, seen };
}

async function run(
  desired: ReturnType<typeof desiredFor>,
  stateDir: string,
  over: Partial<DeployOptions> = {},
): Promise<{ result: Awaited<ReturnType<typeof deploy>>; seen: Recorded }> {
  const { io, seen } = recordingIO();
  const signals = new RunSignals(10_000);
  try {
    const result = await deploy(desired, {
      env: { STACK_STATE_DIR: stateDir, STACK_USER: 'deploy-layer-test' },
      lockTimeout: '30s',
      planning: () => ({}),
      io,
      signals,
      ...over,
    });
    return { result, seen };
  } finally {
    signals.dispose();
  }
}

test('deploy() applies a small stack, records a revision, and a second deploy() is a no-op', async (t) => {
  const name = uniqueStack('d');
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'stack-deploy-layer-'));
  const workingDir = mkdtempSync(path.join(os.tmpdir(), 'stack-deploy-layer-dir-'));
  const command = ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"];
  const desired = desiredFor(name, [service('app', { image: IMAGE(), command, deploy: { replicas: 3 } })], 'socket', {
    workingDir,
  });
  t.teardown(() =>
    run(desired, stateDir, { destroy: true }).then(
      () => undefined,
      () => undefined,
    ),
  );

  const first = await run(desired, stateDir);
  t.true(first.result?.ok, JSON.stringify(first.seen.warnings));
  t.deepEqual(first.seen.questions, [`Apply these changes to stack ${name}?`]);
  t.is(first.seen.plans.length, 1);
  t.deepEqual(first.seen.warnings, []);

  const store = new LocalStateStore(stateDir);
  t.teardown(() => store.close());
  const owner = await store.identity(name);
  t.truthy(owner);
  const found = [...(await containersOf(name)).values()];
  t.is(found.length, 3);
  t.deepEqual(new Set(found.map((f) => f.host)).size, 3);
  for (const { info } of found) {
    t.is(info.State, 'running');
    t.is(info.Labels[Labels.stack], name);
    t.is(info.Labels[Labels.service], 'app');
    t.is(info.Labels[Labels.owner], owner!.id);
  }
  const revisions = await store.list(name);
  t.is(revisions.length, 1);
  t.like(revisions[0], { number: 1, kind: 'apply', result: 'ok' });

  const second = await run(desired, stateDir);
  t.is(second.result, undefined);
  t.deepEqual(second.seen.questions, []);
  t.is(second.seen.plans.length, 1);
  t.is(second.seen.plans[0].operations.length, 0);
  t.is(second.seen.noChanges, 1);
  t.deepEqual(second.seen.events, []);
  t.is((await store.list(name)).length, 1);
});
