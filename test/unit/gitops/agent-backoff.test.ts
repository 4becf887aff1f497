/**
 * The agent's back-off, with an injected clock: a stack whose host cannot be reached fails to apply, and the agent
 * retries it after 1 s, 2 s, then 3 s (doubling, capped), never sooner; the repository is a real bare one on this machine.
 */
import { dockerCredentials } from '../../../src/docker/auth.js';
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReconcileAgent } from '../../../src/gitops/agent.js';
import type { Clock } from '../../../src/gitops/clock.js';
import type { AgentEvent } from '../../../src/gitops/events.js';
import { AgentMetrics } from '../../../src/gitops/metrics.js';

function repoWithStack(root: string): string {
  const bare = path.join(root, 'origin.git');
  const work = path.join(root, 'work');
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', work]);
  mkdirSync(path.join(work, 'app'));
  writeFileSync(path.join(work, 'app', 'compose.yaml'), 'name: backoff\nservices:\n  app:\n    image: busybox:1.35\n');
  const git = (args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: work });
  git(['add', '-A']);
  git(['commit', '--quiet', '-m', 'one']);
  git(['push', '--quiet', bare, 'main']);
  return `file://${bare}`;
}

test('a failing apply is retried after 1 s, 2 s, then the cap of 3 s at the injected clock, and reported each time', async (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'stack-agent-backoff-'));
  const url = repoWithStack(root);
  const inventory = path.join(root, 'inventory.yaml');
  writeFileSync(inventory, `hosts:\n  h1: { endpoint: "unix://${path.join(root, 'no-daemon.sock')}" }\n`);
  const waits: number[] = [];
  let now = 0;
  const clock: Clock = {
    now: () => now,
    sleep: (ms) => {
      waits.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
  const events: AgentEvent[] = [];
  const failed = () => events.filter((e) => e.event === 'apply-failed');
  const agent: ReconcileAgent = new ReconcileAgent(
    {
      repo: url,
      ref: 'main',
      stacks: [{ path: 'app', inventory }],
      intervalMs: 60_000,
      drift: 'report',
      workDir: path.join(root, 'agent'),
      once: false,
      backoff: { baseMs: 1000, capMs: 3000 },
    },
    {
      env: { STACK_STATE_DIR: path.join(root, 'state') },
      planning: () => ({ credentials: dockerCredentials({ configDir: path.join(root, 'docker'), env: {} }) }),
      graceMs: 1000,
      lockTimeout: '0',
    },
    {
      clock,
      metrics: new AgentMetrics(),
      log: (e) => {
        events.push(e);
        if (failed().length === 4) agent.stop();
      },
    },
  );
  t.false(await agent.run());
  t.deepEqual(waits, [1000, 2000, 3000]);
  t.deepEqual(
    failed().map((e) => e.event === 'apply-failed' && [e.retryInSeconds, e.failures]),
    [
      [1, 1],
      [2, 2],
      [3, 3],
      [3, 4],
    ],
  );
  t.deepEqual(
    events.filter((e) => e.event === 'applying').map((e) => e.event === 'applying' && e.reason),
    ['new commit', 'retry', 'retry', 'retry'],
  );
  const error = failed()[0];
  t.regex(error.event === 'apply-failed' ? error.error : '', /h1|no-daemon|unreachable/);
});
