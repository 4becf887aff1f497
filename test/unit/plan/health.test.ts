/** Healthchecks as the file and the daemon give them: the rollout gate, a container's own healthcheck, the wait's limit. */
import test from 'ava';
import { containerHealthcheck, gateText, healthTimeoutMs, readyGate } from '../../../src/plan/health.js';

test('the gate: a test in the file is healthy, disabled is running, nothing (or timings only) leaves it to the container', (t) => {
  t.is(readyGate({ healthcheck: { test: ['CMD-SHELL', 'true'] } }), 'healthy');
  t.is(readyGate({ healthcheck: { test: ['NONE'] } }), 'running');
  t.is(readyGate({}), 'healthy-or-running');
  t.is(readyGate({ healthcheck: { test: [], intervalNs: 1e9 } }), 'healthy-or-running');
  t.is(
    gateText('healthy-or-running', 5000),
    'each replica healthy, or running 5s (monitor) if its image has no healthcheck',
  );
});

test("a container's healthcheck from its inspect: none without a test or with NONE; its timings otherwise", (t) => {
  t.is(containerHealthcheck({}), undefined);
  t.is(containerHealthcheck({ Config: { Healthcheck: null } }), undefined);
  t.is(containerHealthcheck({ Config: { Healthcheck: { Test: ['NONE'] } } }), undefined);
  t.is(containerHealthcheck({ Config: { Healthcheck: { Test: [] } } }), undefined);
  t.deepEqual(containerHealthcheck({ Config: { Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9, Retries: 2 } } }), {
    intervalNs: 1e9,
    timeoutNs: undefined,
    retries: 2,
    startPeriodNs: undefined,
  });
});

test("the wait's limit: start_period + (interval + timeout) × (retries + 1) + 30 s, the Engine's defaults for 0 or absent", (t) => {
  t.is(healthTimeoutMs(undefined), (30 + 30) * 4 * 1000 + 30_000);
  t.is(healthTimeoutMs({ intervalNs: 1e9, timeoutNs: 2e9, retries: 2, startPeriodNs: 5e9 }), 5000 + 3000 * 3 + 30_000);
  t.is(healthTimeoutMs({ intervalNs: 0, retries: 0 }), healthTimeoutMs(undefined));
});
