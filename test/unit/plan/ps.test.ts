import test from 'ava';
import { reconcile } from '../../../src/plan/index.js';
import { psRows, portText } from '../../../src/plan/ps.js';
import { PUBLIC_TEST_KEY } from '../../../src/sensitive.js';
import { desired, observedEmpty, service, simulate } from './helpers.js';
import { psTable, uptime } from '../../../src/cli/views/ps.js';

function applied(services: Parameters<typeof desired>[0]) {
  const d = desired(services);
  const plan = reconcile(d, observedEmpty(d));
  const o = simulate(plan, observedEmpty(d));
  for (const h of Object.values(o.hosts)) for (const c of h.containers) c.state = 'running';
  return { d, o };
}

test('ps: one row per replica, by service and slot, with health - where there is no healthcheck, and no drift right after an apply', (t) => {
  const { d, o } = applied([
    service('web', { deploy: { replicas: 2 } }),
    service('api', { healthcheck: { test: ['CMD', 'true'], intervalNs: 1e9 } }),
  ]);
  o.hosts[Object.keys(o.hosts)[0]].containers.find((c) => c.service === 'api')!.health = 'healthy';
  const rows = psRows(d, o, { hashKey: PUBLIC_TEST_KEY });
  t.deepEqual(
    rows.map((r) => `${r.service}.${r.slot} ${r.role} ${r.state} ${r.health} ${r.drift}`),
    ['api.1 replica running healthy false', 'web.1 replica running none false', 'web.2 replica running none false'],
  );
  t.deepEqual(
    psRows(d, o, { services: ['web'] }).map((r) => `${r.service}.${r.slot} ${r.drift}`),
    ['web.1 null', 'web.2 null'],
    'without the hash key drift cannot be told',
  );
});

test('ps marks drift when the file plans another config, or no longer has the service; --all shows stopped and kept ones', (t) => {
  const { o } = applied([service('web', { deploy: { replicas: 2 } }), service('old')]);
  const changed = desired([service('web', { deploy: { replicas: 2 }, environment: { V: '2' } })]);
  const web = Object.values(o.hosts).flatMap((h) => h.containers);
  web.find((c) => c.service === 'web' && c.slot === '2')!.state = 'exited';
  web.find((c) => c.service === 'web' && c.slot === '2')!.exitCode = 137;
  const rows = psRows(changed, o, { hashKey: PUBLIC_TEST_KEY });
  t.deepEqual(
    rows.map((r) => `${r.service}.${r.slot} ${r.drift}`),
    ['old.1 true', 'web.1 true'],
  );
  const all = psRows(changed, o, { hashKey: PUBLIC_TEST_KEY, all: true });
  t.deepEqual(
    all.map((r) => `${r.service}.${r.slot} ${r.state} ${r.exitCode ?? ''}`),
    ['old.1 running ', 'web.1 running ', 'web.2 exited 137'],
  );
});

test('the ps table: replica, health -, ports, uptime and restarts where inspected, drift marker; JSON rows are the same data', (t) => {
  const { d, o } = applied([service('web')]);
  const c = Object.values(o.hosts).flatMap((h) => h.containers)[0];
  c.ports = [{ hostIp: '0.0.0.0', port: 8080, protocol: 'tcp', target: 80 }];
  const now = Date.parse('2026-12-06T01:00:00Z');
  const details = new Map([[c.id, { restartCount: 2, startedAt: '2026-12-06T00:57:30Z' }]]);
  const rows = psRows(d, o, { hashKey: PUBLIC_TEST_KEY, details });
  const table = psTable(rows, now);
  t.deepEqual(table[0], ['SERVICE', 'HOST', 'STATE', 'HEALTH', 'IMAGE', 'PORTS', 'UP', 'RESTARTS', 'DRIFT']);
  t.deepEqual(table[1].slice(0, 4), ['web.1', c.host, 'running', '-']);
  t.deepEqual(table[1].slice(5), ['0.0.0.0:8080->80/tcp', '2m', '2', '']);
  t.is(rows[0].restartCount, 2);
  t.is(rows[0].startedAt, '2026-12-06T00:57:30Z');
});

test('uptime and port texts', (t) => {
  const now = Date.parse('2026-12-06T01:00:00Z');
  t.is(uptime('2026-12-06T00:59:55Z', now), '5s');
  t.is(uptime('2026-12-05T22:50:00Z', now), '2h10m');
  t.is(uptime('2026-12-02T22:00:00Z', now), '3d3h');
  t.is(uptime(undefined, now), '-');
  t.is(portText({ hostIp: '::', port: 53, protocol: 'udp', target: 53 }), '[::]:53->53/udp');
});
