/**
 * Waits woken by the Engine's event stream, on a real daemon (h1): with a poll interval far longer than
 * the test's deadline, container.wait-healthy still returns once the healthcheck passes, and fails as soon
 * as the container exits — only the daemon's events can have woken it. The stream's opening is one read.
 */
import test from 'ava';
import { HostClient } from '../../src/docker/client.js';
import { runOperation } from '../../src/apply/index.js';
import type { Operation } from '../../src/plan/types.js';
import { docker, hostSpecs, IMAGE, uniqueStack } from './reconcile-helpers.js';

const h1 = () => HostClient.fromSpec(hostSpecs('socket').find((h) => h.name === 'h1')!);
/** Longer than the test's own deadline: a wait that returns did not get there by polling. */
const NEVER_MS = 600_000;
const DEADLINE_MS = 60_000;

const waitOp = (kind: 'container.wait-healthy' | 'container.wait-exit', name: string): Operation => ({
  id: `h1 ${kind} ${name}`,
  kind,
  host: 'h1',
  resource: `service:app:1`,
  cause: 'test',
  deps: [],
  params: { name, timeoutMs: NEVER_MS },
  write: false,
});

async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000}s`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function started(t: import('ava').ExecutionContext, name: string, cmd: string, test: string[]): Promise<void> {
  t.teardown(() =>
    docker('h1')
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined),
  );
  await docker('h1').createContainer({
    name,
    Image: IMAGE(),
    Cmd: ['sh', '-c', cmd],
    Healthcheck: { Test: ['CMD', ...test], Interval: 1e9, Retries: 60 },
  });
  await docker('h1').getContainer(name).start();
}

test('wait-healthy with a 10-minute poll interval returns once the healthcheck passes: the health_status event woke it', async (t) => {
  const name = `${uniqueStack('wev')}-ok`;
  await started(t, name, "sleep 2; touch /tmp/ok; trap 'exit 0' TERM; sleep 3600 & wait", ['test', '-f', '/tmp/ok']);
  const client = h1();
  await within(
    DEADLINE_MS,
    'wait healthy',
    runOperation(waitOp('container.wait-healthy', name), client, {
      contents: () => Buffer.alloc(0),
      pollIntervalMs: NEVER_MS,
    }),
  );
  const inspected = await docker('h1').getContainer(name).inspect();
  t.is(inspected.State.Health?.Status, 'healthy');
  // The first inspect, the one after the event, and the stream itself; never a poll loop.
  t.true(client.counts.reads <= 5, `${client.counts.reads} reads`);
});

test('wait-healthy with a 10-minute poll interval fails as soon as the container exits, with its exit code', async (t) => {
  const name = `${uniqueStack('wev')}-exit`;
  await started(t, name, 'sleep 2; exit 3', ['false']);
  const err = await within(
    DEADLINE_MS,
    'wait healthy',
    t.throwsAsync(
      runOperation(waitOp('container.wait-healthy', name), h1(), {
        contents: () => Buffer.alloc(0),
        pollIntervalMs: NEVER_MS,
      }),
    ),
  );
  t.regex(err.message, /-exit: exited with code 3 before it was healthy/);
});

test('wait-exit with a 10-minute poll interval returns when the container exits 0', async (t) => {
  const name = `${uniqueStack('wev')}-done`;
  await started(t, name, 'sleep 2; exit 0', ['true']);
  await within(
    DEADLINE_MS,
    'wait exit',
    runOperation(waitOp('container.wait-exit', name), h1(), {
      contents: () => Buffer.alloc(0),
      pollIntervalMs: NEVER_MS,
    }),
  );
  t.is((await docker('h1').getContainer(name).inspect()).State.ExitCode, 0);
});
