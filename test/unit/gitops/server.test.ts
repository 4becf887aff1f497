/**
 * The agent's listener on 127.0.0.1: a signed push for the watched ref triggers it (202), one for another ref is
 * ignored, a bad signature gets 401 and triggers nothing, a body over the limit gets 413; /metrics and /healthz.
 */
import test from 'ava';
import { createHmac } from 'node:crypto';
import { listen, parseListen, WEBHOOK_BODY_LIMIT } from '../../../src/gitops/server.js';
import { AgentMetrics } from '../../../src/gitops/metrics.js';
import type { AgentEvent } from '../../../src/gitops/events.js';

const secret = Buffer.from('hook-secret');

async function started() {
  const target = { ref: 'main', triggered: 0, stopped: false, cycles: 1, trigger: () => void target.triggered++ };
  const logged: AgentEvent[] = [];
  const metrics = new AgentMetrics();
  const { server, address } = await listen({ host: '127.0.0.1', port: 0 }, target, {
    secret,
    log: (e) => logged.push(e),
    metrics,
  });
  return { target, logged, url: `http://${address}`, close: () => server.close() };
}

function push(ref: string, key: Buffer | string = secret): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ ref });
  const sig = createHmac('sha256', key).update(body).digest('hex');
  return { body, headers: { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sig}` } };
}

test('a signed push for the watched ref triggers; another ref is ignored; a bad signature is 401', async (t) => {
  const s = await started();
  t.teardown(s.close);
  const good = push('refs/heads/main');
  const r1 = await fetch(`${s.url}/webhook`, { method: 'POST', ...good });
  t.is(r1.status, 202);
  t.is(s.target.triggered, 1);
  const other = push('refs/heads/dev');
  t.is((await fetch(`${s.url}/webhook`, { method: 'POST', ...other })).status, 202);
  t.is(s.target.triggered, 1);
  const bad = push('refs/heads/main', 'wrong');
  t.is((await fetch(`${s.url}/webhook`, { method: 'POST', ...bad })).status, 401);
  t.is(s.target.triggered, 1);
  t.like(s.logged.at(-1), { event: 'webhook', outcome: 'refused' });
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  t.regex(metrics, /stack_reconcile_webhooks_total\{provider="github",outcome="accepted"\} 1/);
  t.regex(metrics, /stack_reconcile_webhooks_total\{provider="unknown",outcome="refused"\} 1/);
});

test('a body over the limit is refused with 413 before it is verified', async (t) => {
  const s = await started();
  t.teardown(s.close);
  const r = await fetch(`${s.url}/webhook`, {
    method: 'POST',
    body: 'x'.repeat(WEBHOOK_BODY_LIMIT + 1),
    headers: { 'x-gitlab-token': 'hook-secret' },
  });
  t.is(r.status, 413);
  t.is(s.target.triggered, 0);
});

test('/healthz, and 404 for anything else', async (t) => {
  const s = await started();
  t.teardown(s.close);
  const h = await fetch(`${s.url}/healthz`);
  t.is(h.status, 200);
  t.is(await h.text(), 'ok\n');
  t.is((await fetch(`${s.url}/webhook`)).status, 404);
  t.is((await fetch(`${s.url}/nothing`)).status, 404);
});

test('--listen forms', (t) => {
  t.deepEqual(parseListen(':9090'), { port: 9090 });
  t.deepEqual(parseListen('127.0.0.1:80'), { host: '127.0.0.1', port: 80 });
  t.deepEqual(parseListen('[::1]:9090'), { host: '::1', port: 9090 });
  t.is(parseListen('9090'), undefined);
  t.is(parseListen(':99999'), undefined);
});
