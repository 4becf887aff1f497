/**
 * The built `stack ps`, `status` and `events` on h1–h3: a 3-replica service (one per host, a published port, no
 * healthcheck) and a one-replica service with a healthcheck. ps shows each replica with its host, slot, health (- or
 * healthy), ports and no drift; a changed file marks drift; --all shows a stopped container and a kept one; status
 * says - for healthy where no healthcheck exists; an unreachable host is named once and the others are listed;
 * events shows each replica's create then start with its host, in time order, and --follow streams a replica
 * stopped by hand until SIGINT.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { deploy, desiredFor, docker, eventually, IMAGE, uniqueStack } from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, startStack, writeDir } from './cli-helpers.js';

const MAIN = ['h1', 'h2', 'h3'];
test.before(() => ensureBuilt());

interface Row {
  service: string;
  slot: string;
  host: string;
  name: string;
  role: string;
  state: string;
  health: string;
  image: string;
  digest?: string;
  ports: string[];
  startedAt?: string;
  restartCount?: number;
  exitCode?: number;
  drift: boolean | null;
}
interface Event {
  time: string;
  timeNano: string;
  host: string;
  type: string;
  action: string;
  name: string;
  service?: string;
  slot?: string;
}

function stackFile(name: string, port: number, env = '1'): string {
  return [
    `name: ${name}`,
    'services:',
    '  web:',
    `    image: ${IMAGE()}`,
    `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`,
    `    environment: { V: "${env}" }`,
    `    ports: ["${port}:80"]`,
    '    deploy:',
    '      replicas: 3',
    '      placement: { constraints: ["node.labels.pool == main"] }',
    '  api:',
    `    image: ${IMAGE()}`,
    `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`,
    '    healthcheck: { test: ["CMD", "true"], interval: 1s }',
    '    deploy:',
    '      placement: { constraints: ["node.labels.pool == main"] }',
    '',
  ].join('\n');
}

const psJson = async (dir: string, args: string[] = []) => {
  const r = await runStack(['ps', '--json', '-i', 'inventory.yaml', ...args], dir);
  if (r.code !== 0) throw new Error(`ps exited ${r.code}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { containers: Row[] }).containers;
};

test('ps, status and events over a 3-replica service on 3 hosts and a service with a healthcheck', async (t) => {
  const name = uniqueStack('ps');
  const port = 18000 + Math.floor(Math.random() * 1000);
  const dir = writeDir({
    'compose.yaml': stackFile(name, port),
    'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)),
    'with-lost.yaml': inventoryYaml([...sandboxHosts(MAIN), { name: 'h9', endpoint: 'unix:///nonexistent/h9.sock' }]),
  });
  t.teardown(() =>
    deploy(desiredFor(name, [], 'socket'), { destroy: true }).then(
      () => undefined,
      () => undefined,
    ),
  );
  const since = String((Date.now() - 1000) / 1000);
  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(applied.code, 0, applied.stderr);

  // Every replica with its host and slot; health - without a healthcheck, healthy with one; ports; no drift.
  const rows = await eventually(
    async () => {
      const r = await psJson(dir);
      return r.find((x) => x.service === 'api')?.health === 'healthy' && r;
    },
    30_000,
    'api healthy in ps',
  );
  const web = rows.filter((r) => r.service === 'web');
  t.deepEqual(
    web.map((r) => r.slot),
    ['1', '2', '3'],
  );
  t.deepEqual(web.map((r) => r.host).sort(), MAIN);
  for (const r of web) {
    t.is(r.name, `${name}-web-${r.slot}`);
    t.is(r.state, 'running');
    t.is(r.health, 'none');
    t.is(r.role, 'replica');
    t.true(r.ports.includes(`0.0.0.0:${port}->80/tcp`), r.ports.join());
    t.is(r.drift, false);
    t.is(r.restartCount, 0);
    t.true(Date.parse(r.startedAt!) > Date.now() - 600_000);
    t.is(r.image, IMAGE());
  }
  t.like(
    rows.find((r) => r.service === 'api'),
    { slot: '1', health: 'healthy', drift: false, ports: [] },
  );

  const table = await runStack(['ps', '-i', 'inventory.yaml', 'web'], dir);
  t.is(table.code, 0, table.stderr);
  const lines = table.stdout.trim().split('\n');
  t.regex(lines[0], /^SERVICE\s+HOST\s+STATE\s+HEALTH\s+IMAGE\s+PORTS\s+UP\s+RESTARTS\s+DRIFT$/);
  t.deepEqual(
    lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4).join(' ')),
    web.map((r) => `web.${r.slot} ${r.host} running -`),
  );

  // status: the same rows counted; healthy is null (-) where no healthcheck exists.
  const status = await runStack(['status', '--json', '-i', 'inventory.yaml'], dir);
  t.is(status.code, 0, status.stderr);
  const counts = (
    JSON.parse(status.stdout) as { services: { service: string; host: string; healthy: number | null }[] }
  ).services;
  t.true(counts.filter((c) => c.service === 'web').every((c) => c.healthy === null));
  t.is(
    counts.filter((c) => c.service === 'api').reduce((a, c) => a + (c.healthy ?? 0), 0),
    1,
  );
  const statusTable = await runStack(['status', '-i', 'inventory.yaml'], dir);
  t.regex(statusTable.stdout, new RegExp(`web\\s+${web[0].host}\\s+1\\s+1\\s+-`));

  // A host that cannot be reached is named once; the others are listed; exit 1.
  const lost = await runStack(['ps', '-i', 'with-lost.yaml'], dir);
  t.is(lost.code, 1);
  t.is(lost.stdout.split('\n').filter((l) => l.startsWith('web.')).length, 3, lost.stdout);
  t.is(lost.stderr.split('\n').filter((l) => l.includes('h9')).length, 1, lost.stderr);
  t.regex(lost.stderr, /^error: host h9: unreachable: /m);

  // events: each replica's create then start, with its host, in time order.
  const ev = await runStack(['events', '--json', '--since', since, '-i', 'inventory.yaml'], dir);
  t.is(ev.code, 0, ev.stderr);
  const events = ev.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Event);
  const nanos = events.map((e) => BigInt(e.timeNano));
  t.deepEqual(
    nanos,
    [...nanos].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    'in time order',
  );
  for (const r of rows) {
    const mine = events.filter((e) => e.type === 'container' && e.name === r.name && e.host === r.host);
    const created = mine.findIndex((e) => e.action === 'create');
    const started = mine.findIndex((e) => e.action === 'start');
    t.true(created >= 0 && started > created, `${r.name}@${r.host}: ${mine.map((e) => e.action).join()}`);
    t.true(mine.every((e) => e.service === r.service && e.slot === r.slot));
  }
  t.true(events.every((e) => MAIN.includes(e.host)));
  t.true(events.some((e) => e.type === 'network' && e.action === 'create' && e.name === `${name}_default`));
});

test('ps marks drift after the file changes; --all shows a stopped replica and a kept one; events --follow streams until SIGINT', async (t) => {
  const name = uniqueStack('pd');
  const port = 19000 + Math.floor(Math.random() * 1000);
  const dir = writeDir({ 'compose.yaml': stackFile(name, port), 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
  t.teardown(() =>
    deploy(desiredFor(name, [], 'socket'), { destroy: true }).then(
      () => undefined,
      () => undefined,
    ),
  );
  const since = String((Date.now() - 1000) / 1000);
  t.is((await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir)).code, 0);
  const before = await psJson(dir);

  // --follow: once the past events are out, the live stream is on; a replica stopped by hand shows with its host.
  const follow = startStack(['events', '--follow', '--json', '--since', since, '-i', 'inventory.yaml'], dir);
  t.teardown(() => void follow.child.kill('SIGKILL'));
  await eventually(async () => follow.stdout().includes('"action":"start"'), 30_000, 'past events');
  const three = before.find((r) => r.service === 'web' && r.slot === '3')!;
  const two = before.find((r) => r.service === 'web' && r.slot === '2')!;
  await docker(three.host).getContainer(three.name).stop({ t: 1 });
  await docker(two.host).getContainer(two.name).stop({ t: 1 });
  await eventually(
    async () =>
      follow
        .stdout()
        .split('\n')
        .some(
          (l) =>
            l.includes('"action":"die"') &&
            l.includes(`"name":"${three.name}"`) &&
            l.includes(`"host":"${three.host}"`),
        ),
    30_000,
    'the die event of a replica stopped by hand',
  );
  follow.child.kill('SIGINT');
  const ended = await follow.done;
  t.is(ended.code, 0, ended.stderr);

  // Stopped: not listed without --all; a kept one (a rollout's leftover, named so) only with --all.
  await docker(two.host)
    .getContainer(two.name)
    .rename({ name: `${two.name}_kept` });
  const live = await psJson(dir, ['web']);
  t.deepEqual(
    live.map((r) => r.slot),
    ['1'],
  );
  const all = await psJson(dir, ['--all', 'web']);
  t.deepEqual(
    all.map((r) => `${r.slot} ${r.role} ${r.state}`),
    ['1 replica running', '2 kept exited', '3 replica exited'],
  );
  t.is(typeof all[2].exitCode, 'number');

  // The file changes web's config: its containers drift, api's do not.
  writeFileSync(`${dir}/compose.yaml`, stackFile(name, port, '2'));
  const drift = await psJson(dir, ['--all']);
  t.deepEqual(
    drift.map((r) => `${r.service}.${r.slot} ${r.drift}`),
    ['api.1 false', 'web.1 true', 'web.2 true', 'web.3 true'],
  );
  const table = await runStack(['ps', '-i', 'inventory.yaml'], dir);
  t.regex(table.stdout, /web\.1 .*drift$/m);

  const unknown = await runStack(['ps', '-i', 'inventory.yaml', 'nope'], dir);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /no service nope in stack .*\n.*api, web/);
});
