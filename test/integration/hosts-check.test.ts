/**
 * `stack hosts check` on the real sandbox: the default instance (cluster store) is all green with the engine's overlay
 * as the path; the `vx` instance (no cluster store) reports stack's own overlay as the path, its VXLAN datagrams
 * arriving between every pair of hosts; with h4's daemon stopped, exit 1 naming h4 while h1–h3 are still reported;
 * a stack (-f) whose overlay cannot work there is refused; bad input is one message. Every run leaves no probe
 * container and no probe device on any host.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { Labels } from '../../src/labels.js';
import type { HostsCheckReport } from '../../src/hosts/types.js';
import { engine, repoRoot, sandbox, sandboxInstanceUp, VX_UP_ARGS, type Sandbox } from '../helpers/sandbox.js';
import { ensureBuilt, runStack, writeDir, type CliResult } from './cli-helpers.js';
import { eventually } from './reconcile-helpers.js';

/**
 * The default instance with its 4 hosts, as `npm test` brings it up (h4, pool=spare, is the one these tests stop).
 * A 3-host `up` (the demo's) leaves h4 out of sandbox.json: brought back here, under the sandbox lock (additive).
 */
function defaultWithH4(): Sandbox {
  if (!sandbox().hosts.some((h) => h.name === 'h4'))
    execFileSync('bash', [path.join(repoRoot, 'deploy', 'sandbox', 'sandbox.sh'), 'up'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, STACK_SANDBOX_HOSTS: '4' },
    });
  return sandbox();
}
const sb = defaultWithH4();
const vx = sandboxInstanceUp('vx', VX_UP_ARGS);
const defaultInventory = path.join(repoRoot, '.sandbox', 'inventory.yaml');
const vxInventory = path.join(repoRoot, '.sandbox-vx', 'inventory.yaml');
const NAMES = ['h1', 'h2', 'h3', 'h4'];

test.before(() => ensureBuilt());

function json(r: CliResult): HostsCheckReport {
  return JSON.parse(r.stdout) as HostsCheckReport;
}

/** No probe container (by its label) and no probe device (stchk…) on any host of the instance. */
async function assertNothingLeft(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }, s: Sandbox) {
  for (const h of s.hosts) {
    // a stopped probe is removed by its daemon (AutoRemove) a moment after it exits: wait for that, not longer
    const list = async () =>
      (await engine(h).listContainers({ all: true, filters: { label: [Labels.hostsCheck] } })).map((c) => c.Id);
    const left = await eventually(async () => ((await list()).length === 0 ? [] : false), 20_000).catch(list);
    t.deepEqual(left, [], `probe containers left on ${h.name}`);
    const links = execFileSync('nsenter', [`--net=/var/run/netns/${h.netns}`, 'ip', '-o', 'link', 'show'], {
      encoding: 'utf8',
    });
    t.deepEqual(
      links.split('\n').filter((l) => /stchk/.test(l)),
      [],
      `probe devices left on ${h.name}`,
    );
  }
}

/** Between every two hosts whose probe devices came up, datagrams arrived both ways. */
function assertPairsReceived(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }, r: HostsCheckReport) {
  const up = r.hosts.filter((h) => h.vxlan.status === 'ok').map((h) => h.name);
  for (const h of r.hosts.filter((x) => up.includes(x.name)))
    t.deepEqual(
      Object.entries(h.udpFrom)
        .filter(([from]) => up.includes(from))
        .map(([from, p]) => [from, p.status]),
      up.filter((n) => n !== h.name).map((n) => [n, 'ok']),
      `VXLAN datagrams at ${h.name}`,
    );
}

function assertEveryPairReceived(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }, r: HostsCheckReport) {
  for (const h of r.hosts)
    t.deepEqual(
      Object.entries(h.udpFrom).map(([from, p]) => [from, p.status]),
      NAMES.filter((n) => n !== h.name).map((n) => [n, 'ok']),
      `VXLAN datagrams at ${h.name}`,
    );
}

test.serial(
  'default instance: every host green, Engine and API versions, the engine overlay as the path',
  async (t) => {
    const r = await runStack(['hosts', 'check', '-i', defaultInventory, '--json'], repoRoot);
    t.is(r.code, 0, r.stderr);
    const report = json(r);
    t.true(report.ok);
    t.deepEqual(report.findings, []);
    t.is(report.overlay.path, 'engine');
    t.deepEqual(
      report.hosts.map((h) => h.name),
      NAMES,
    );
    for (const h of report.hosts) {
      const expected = sb.hosts.find((x) => x.name === h.name)!;
      t.true(h.reachable, h.name);
      t.regex(h.engine!.version, /^20\.10\./);
      t.is(h.engine!.apiVersion, '1.41');
      t.is(h.engine!.platform, 'linux/amd64');
      t.truthy(h.engine!.kernel);
      t.is(h.engine!.clusterStore, sb.clusterStore!);
      t.deepEqual(h.overlay.engine, { status: 'ok', value: null });
      // The probe ran; its devices come up unless Docker's own overlay holds UDP 4789 there (docs/hosts-check.md).
      t.not(h.vxlan.status, 'skipped', h.name);
      if (h.vxlan.status === 'failed') t.regex(h.vxlan.error, /Address already in use/);
      t.deepEqual(h.labels, expected.labels);
      t.is(h.underlay, expected.ip);
      t.true(h.latencyMs! >= 0);
      t.is(h.disk.status, 'ok');
      if (h.disk.status === 'ok')
        t.true(h.disk.value.availableBytes > 0 && h.disk.value.totalBytes >= h.disk.value.availableBytes);
      t.is(typeof h.clock?.skewMs, 'number');
    }
    assertPairsReceived(t, report);
    await assertNothingLeft(t, sb);
  },
);

test.serial('default instance, the table: a row per host with its Engine version, and ok', async (t) => {
  const r = await runStack(['hosts', 'check', '-i', defaultInventory], repoRoot);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^HOST +REACHABLE +PING +ENGINE +API +PLATFORM/);
  for (const n of NAMES) t.regex(r.stdout, new RegExp(`\\n${n} +yes +\\S+ +20\\.10\\.\\S+ +1\\.41 +linux/amd64`));
  t.regex(r.stdout, /overlay: the engine's \(cluster store\)/);
  t.regex(r.stdout, /\nok: 4 host\(s\) checked\n$/);
});

test.serial(
  "vx instance (no cluster store): stack's own overlay is the path, datagrams arrive between every pair",
  async (t) => {
    const r = await runStack(['hosts', 'check', '-i', vxInventory, '--json'], repoRoot);
    t.is(r.code, 0, r.stderr);
    const report = json(r);
    t.true(report.ok);
    t.is(report.overlay.path, 'own');
    t.regex(report.overlay.why, /no cluster store on h1, h2, h3, h4/);
    for (const h of report.hosts) {
      t.deepEqual(h.overlay.own, { status: 'ok', value: null }, h.name);
      t.deepEqual(h.vxlan, { status: 'ok', value: null }, h.name);
      t.is(h.overlay.engine.status, 'failed');
      t.is(h.engine!.clusterStore, '');
    }
    assertEveryPairReceived(t, report);
    await assertNothingLeft(t, vx);
  },
);

test.serial('vx instance without a helper image: exit 1, the own overlay cannot work, the fix named', async (t) => {
  const text = readFileSync(vxInventory, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('overlay:'))
    .join('\n');
  const dir = writeDir({ 'inventory.yaml': text });
  const r = await runStack(['hosts', 'check', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 1);
  t.regex(r.stderr, /error: stack's own overlay .* needs the operator's helper image, and none is set/);
  t.regex(r.stderr, /hint: set overlay: \{ helper_image/);
  t.notRegex(r.stderr, /\n\s+at /);
  for (const n of NAMES) t.regex(r.stdout, new RegExp(`\\n${n} +yes `));
});

test.serial('vx instance, a helper image no host can pull: each host named, exit 1, nothing left', async (t) => {
  const missing = `${vx.registry}/busybox@sha256:${'0'.repeat(64)}`;
  const r = await runStack(
    ['hosts', 'check', '-i', vxInventory, '--overlay-helper-image', missing, '--json'],
    repoRoot,
  );
  t.is(r.code, 1);
  for (const n of NAMES)
    t.regex(
      r.stderr,
      new RegExp(`error: host ${n} cannot take stack's own overlay .*: the probe container could not start: `),
    );
  const report = json(r);
  for (const h of report.hosts) {
    t.true(h.reachable);
    t.is(h.disk.status, 'failed');
    t.deepEqual(
      Object.values(h.udpFrom).map((p) => p.status),
      ['untested', 'untested', 'untested'],
    );
  }
  await assertNothingLeft(t, vx);
});

test.serial(
  '-f: a stack whose overlay (x-stack.overlay: engine) cannot work on the vx hosts is refused, each host named',
  async (t) => {
    const dir = writeDir({
      'compose.yaml': [
        'name: hc-engine',
        'services:',
        '  web: { image: 10.77.25.2:5000/busybox:1.35, command: [sleep, "600"], networks: [net] }',
        'networks:',
        '  net: { driver: overlay }',
        'x-stack:',
        '  overlay: engine',
        '',
      ].join('\n'),
      'plain.yaml': ['name: hc-plain', 'services:', '  web: { image: 10.77.25.2:5000/busybox:1.35 }', ''].join('\n'),
    });
    const r = await runStack(['hosts', 'check', '-i', vxInventory, '-f', 'compose.yaml'], dir);
    t.is(r.code, 1);
    for (const n of NAMES)
      t.regex(
        r.stderr,
        new RegExp(
          `error: host ${n} cannot take the engine's overlay \\(stack hc-engine has overlay network net\\): no cluster store`,
        ),
      );
    // The same hosts take a stack without overlay networks.
    const plain = await runStack(['hosts', 'check', '-i', vxInventory, '-f', 'plain.yaml', '--json'], dir);
    t.is(plain.code, 0, plain.stderr);
    t.deepEqual(json(plain).needs, { overlay: false, setting: 'auto', why: 'stack hc-plain has no overlay network' });
  },
);

test.serial('bad input: a missing inventory is one message, exit 1, no host contacted', async (t) => {
  const r = await runStack(['hosts', 'check', '-i', 'missing.yaml'], writeDir({}));
  t.is(r.code, 1);
  t.regex(r.stderr, /^error: .*missing\.yaml/);
  t.is(
    r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('error')).length,
    1,
  );
  t.notRegex(r.stderr, /\n\s+at /);
  t.is(r.stdout, '');
});

const sandboxCmd = (...args: string[]) =>
  execFileSync('bash', [sb.sandboxScript, ...args], {
    stdio: 'ignore',
    env: { ...process.env, STACK_SANDBOX_HOSTS: '4' },
  });

test.serial('h4 stopped: exit 1 naming h4, h1–h3 still reported in full; nothing left on them', async (t) => {
  const h4 = sb.hosts.find((h) => h.name === 'h4')!;
  sandboxCmd('stop-host', 'h4');
  try {
    const r = await runStack(['hosts', 'check', '-i', defaultInventory, '--json'], repoRoot);
    t.is(r.code, 1);
    t.regex(r.stderr, /error: host h4 is unreachable: /);
    t.is(r.stderr.split('\n').filter((l) => l.startsWith('error')).length, 1, r.stderr);
    const report = json(r);
    t.false(report.ok);
    const byName = Object.fromEntries(report.hosts.map((h) => [h.name, h]));
    t.false(byName.h4.reachable);
    t.truthy(byName.h4.error);
    for (const n of ['h1', 'h2', 'h3']) {
      t.true(byName[n].reachable, n);
      t.is(byName[n].engine!.apiVersion, '1.41');
      t.deepEqual(byName[n].overlay.engine, { status: 'ok', value: null });
      t.deepEqual(
        Object.keys(byName[n].udpFrom).sort(),
        ['h1', 'h2', 'h3'].filter((m) => m !== n),
      );
    }
    assertPairsReceived(t, report);
    await assertNothingLeft(t, { ...sb, hosts: sb.hosts.filter((h) => h.name !== 'h4') });
  } finally {
    sandboxCmd('start-host', 'h4');
    await eventually(
      async () =>
        (await engine(h4)
          .ping()
          .then(
            () => true,
            () => false,
          )) || undefined,
      60_000,
      'h4 to answer',
    );
  }
});
