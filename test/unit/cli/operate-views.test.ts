/** The views of status and ps: `-` for healthy where no healthcheck exists, JSON as documented in docs/operating.md. */
import { Writable } from 'node:stream';
import test from 'ava';
import { printStatus } from '../../../src/cli/views/status.js';
import { printPs } from '../../../src/cli/views/ps.js';
import type { PsRow } from '../../../src/plan/ps.js';

function sink(): NodeJS.WriteStream & { text: () => string } {
  let out = '';
  const s = new Writable({
    write: (chunk, _e, cb) => ((out += chunk.toString()), cb()),
  }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(s, { isTTY: false, text: () => out });
  return s;
}

test('status: HEALTHY is - for a service without any healthcheck, a count for one with; JSON says null, not 0', (t) => {
  const rows = [
    { service: 'api', host: 'h1', desired: 1, running: 1, healthy: 0, containers: 1, hasHealthcheck: true },
    { service: 'web', host: 'h2', desired: 1, running: 1, healthy: null, containers: 1, hasHealthcheck: false },
  ];
  const text = sink();
  printStatus('app', rows, { stream: text });
  t.deepEqual(text.text().split('\n'), [
    'SERVICE  HOST  DESIRED  RUNNING  HEALTHY',
    'api      h1    1        1        0',
    'web      h2    1        1        -',
    '',
  ]);
  const json = sink();
  printStatus('app', rows, { json: true, stream: json });
  t.is(JSON.parse(json.text()).services[1].healthy, null);
  t.is(JSON.parse(json.text()).deployed, null);
  const latest = sink();
  const summary = {
    ...{ number: 3, hash: 'h', result: 'ok' as const, kind: 'apply' as const, command: 'reconcile', who: 'u@m' },
    ...{
      when: '2026-12-06T00:00:00.000Z',
      commit: 'c'.repeat(40),
      plan: { create: 1, update: 0, replace: 0, remove: 0, operations: 2 },
    },
  };
  printStatus('app', rows, { json: true, stream: latest, latest: summary });
  t.deepEqual(JSON.parse(latest.text()).deployed, {
    revision: 3,
    kind: 'apply',
    result: 'ok',
    when: '2026-12-06T00:00:00.000Z',
    command: 'reconcile',
    commit: 'c'.repeat(40),
  });
});

test('ps: the table with health -, a kept leftover and drift; the JSON document as documented', (t) => {
  const base: PsRow = {
    service: 'web',
    slot: '1',
    host: 'h1',
    name: 'app-web-1',
    id: 'a'.repeat(64),
    role: 'replica',
    state: 'running',
    health: 'none',
    image: 'reg:5000/web:2',
    digest: `sha256:${'8d1e0a3b44c2'.padEnd(64, '0')}`,
    ports: ['0.0.0.0:8080->80/tcp'],
    startedAt: '2026-12-06T00:55:00Z',
    restartCount: 0,
    drift: true,
  };
  const kept: PsRow = { ...base, slot: '2', name: 'app-web-2_kept', role: 'kept', state: 'exited', exitCode: 0 };
  delete kept.startedAt;
  const text = sink();
  printPs('app', [base, kept], { stream: text, now: Date.parse('2026-12-06T01:00:00Z') });
  t.deepEqual(text.text().split('\n'), [
    'SERVICE  HOST  STATE              HEALTH  IMAGE                        PORTS                 UP  RESTARTS  DRIFT',
    'web.1    h1    running            -       reg:5000/web:2@8d1e0a3b44c2  0.0.0.0:8080->80/tcp  5m  0         drift',
    'web.2    h1    exited (0) [kept]  -       reg:5000/web:2@8d1e0a3b44c2  0.0.0.0:8080->80/tcp  -   0         drift',
    '',
  ]);
  const json = sink();
  printPs('app', [base], { json: true, stream: json });
  t.deepEqual(JSON.parse(json.text()), { stack: 'app', containers: [base] });
  const none = sink();
  printPs('app', [], { stream: none });
  t.regex(none.text(), /no containers of stack app\n$/);
});
