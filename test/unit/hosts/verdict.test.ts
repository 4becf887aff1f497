/**
 * The verdicts (pure): which overlay stack would use, which hosts cannot take the stack's networks (errors, exit 1),
 * and the warnings (clock, disk, leftovers).
 */
import test from 'ava';
import type { EngineProbe } from '../../../src/hosts/engine.js';
import type { NetworkNeeds, ProbeResult, UdpPath } from '../../../src/hosts/types.js';
import { buildReport, LOW_DISK_BYTES, type HostInputs } from '../../../src/hosts/verdict.js';
import type { HostSpec } from '../../../src/stack/types.js';

const IMAGE = `reg/busybox@sha256:${'a'.repeat(64)}`;
const ANY: NetworkNeeds = { overlay: true, setting: 'auto', why: 'no stack file' };
const NONE: NetworkNeeds = { overlay: false, setting: 'auto', why: 'stack s has no overlay network' };

function spec(name: string): HostSpec {
  const n = Number(name.slice(1));
  return {
    name,
    endpoint: { kind: 'tcp', host: `10.0.0.${10 + n}`, port: 2376, tls: false },
    labels: { zone: name },
  };
}

function engine(store: boolean, offsetMs = 0): EngineProbe {
  return {
    latencyMs: 1,
    clock: { offsetMs, uncertaintyMs: 2 },
    engine: {
      version: '28.5.2',
      apiVersion: '1.51',
      minApiVersion: '1.24',
      os: 'Debian',
      platform: 'linux/amd64',
      kernel: '6.1',
      clusterStore: store ? 'etcd://10.0.0.2:2379' : '',
      clusterAdvertise: store ? '10.0.0.11:2376' : '',
      dataRoot: '/var/lib/docker',
      engineLabels: {},
    },
  };
}

const ok: UdpPath = { status: 'ok', packets: 3 };
function probe(udpFrom: Record<string, UdpPath>, availableBytes = 10 * LOW_DISK_BYTES): ProbeResult {
  return {
    vxlan: { status: 'ok', value: null },
    udpFrom,
    disk: { status: 'ok', value: { path: '/var/lib/docker', availableBytes, totalBytes: 2 * availableBytes } },
  };
}

/** Three hosts, every path ok, with or without cluster stores. */
function healthy(store: boolean): HostInputs[] {
  const names = ['h1', 'h2', 'h3'];
  return names.map((name) => ({
    spec: spec(name),
    engine: engine(store),
    probe: probe(Object.fromEntries(names.filter((n) => n !== name).map((n) => [n, ok]))),
    underlay: `10.0.0.${10 + Number(name.slice(1))}`,
  }));
}

const errorsOf = (r: ReturnType<typeof buildReport>) =>
  r.findings.filter((f) => f.severity === 'error').map((f) => f.host ?? '-');

test('every daemon with a cluster store: the engine overlay is the path, all green', (t) => {
  const r = buildReport({ hosts: healthy(true), needs: ANY, helperImage: IMAGE, leftovers: [] });
  t.deepEqual(r.overlay, { path: 'engine', why: 'every daemon has a cluster store (x-stack.overlay auto)' });
  t.true(r.ok);
  t.deepEqual(r.findings, []);
  t.true(r.hosts.every((h) => h.overlay.engine.status === 'ok' && h.overlay.own.status === 'ok'));
});

test("no cluster store: stack's own overlay is the path, and it works when VXLAN datagrams arrive both ways", (t) => {
  const r = buildReport({ hosts: healthy(false), needs: ANY, helperImage: IMAGE, leftovers: [] });
  t.is(r.overlay.path, 'own');
  t.true(r.ok);
  t.deepEqual(r.hosts[0].overlay.engine, { status: 'failed', error: 'no cluster store (Engine /info)' });
});

test('one host unreachable: an error naming it, the others still reported in full', (t) => {
  const hosts = healthy(true);
  hosts[2] = { spec: spec('h3'), engine: { error: 'host h3: ping: connect ECONNREFUSED 10.0.0.13:2376' } };
  const r = buildReport({ hosts, needs: NONE, helperImage: IMAGE, leftovers: [] });
  t.false(r.ok);
  t.deepEqual(errorsOf(r), ['h3']);
  t.regex(r.findings[0].summary, /^host h3 is unreachable: .*ECONNREFUSED/);
  t.true(r.hosts[0].reachable && r.hosts[1].reachable);
  t.is(r.hosts[0].engine?.version, '28.5.2');
  t.false(r.hosts[2].reachable);
  t.deepEqual(r.hosts[2].overlay.engine, { status: 'skipped', why: 'unreachable' });
});

test('a lost direction fails the own overlay on both of its hosts, when the own overlay is the path', (t) => {
  const hosts = healthy(false);
  hosts[1].probe!.udpFrom.h1 = { status: 'lost' };
  const r = buildReport({ hosts, needs: ANY, helperImage: IMAGE, leftovers: [] });
  t.false(r.ok);
  t.deepEqual(errorsOf(r), ['h1', 'h2']);
  t.deepEqual(r.hosts[1].overlay.own, {
    status: 'failed',
    error: 'VXLAN over UDP 4789: nothing arrived from h1',
  });
  t.deepEqual(r.hosts[0].overlay.own, {
    status: 'failed',
    error: 'VXLAN over UDP 4789: nothing it sent arrived at h2',
  });
  // With the engine's overlay as the path, the own overlay's failure is reported but not an error.
  const engineHosts = healthy(true);
  engineHosts[1].probe!.udpFrom.h1 = { status: 'lost' };
  t.true(buildReport({ hosts: engineHosts, needs: ANY, helperImage: IMAGE, leftovers: [] }).ok);
});

test('a stack without overlay networks (-f) needs only reachable hosts', (t) => {
  const hosts = healthy(false).map((h) => ({
    ...h,
    probe: { ...h.probe!, vxlan: { status: 'failed' as const, error: 'no vxlan' } },
  }));
  t.true(buildReport({ hosts, needs: NONE, helperImage: IMAGE, leftovers: [] }).ok);
  t.false(buildReport({ hosts, needs: ANY, helperImage: IMAGE, leftovers: [] }).ok);
});

test('no helper image: the own overlay cannot work — one error saying so, with the fix', (t) => {
  const hosts = healthy(false).map(({ probe: _p, ...h }) => h);
  const r = buildReport({ hosts, needs: ANY, probeSkipped: 'no overlay helper image', leftovers: [] });
  t.false(r.ok);
  t.deepEqual(errorsOf(r), ['-']);
  t.regex(r.findings[0].summary, /needs the operator's helper image/);
  t.regex(r.findings[0].hint!, /overlay: \{ helper_image/);
  t.deepEqual(r.hosts[0].disk, { status: 'skipped', why: 'no overlay helper image' });
});

test('x-stack.overlay engine on daemons without a cluster store: each host is an error', (t) => {
  const r = buildReport({
    hosts: healthy(false),
    needs: { overlay: true, setting: 'engine', why: 'stack s has overlay network net' },
    helperImage: IMAGE,
    leftovers: [],
  });
  t.is(r.overlay.path, 'engine');
  t.deepEqual(errorsOf(r), ['h1', 'h2', 'h3']);
  t.regex(r.findings[0].summary, /host h1 cannot take the engine's overlay \(stack s has overlay network net\)/);
});

test('warnings: a clock off the others, little disk, something the probe could not undo — exit stays 0', (t) => {
  const hosts = healthy(true);
  hosts[0].engine = engine(true, 5000);
  hosts[1].probe = probe({ h1: ok, h3: ok }, LOW_DISK_BYTES - 1);
  const r = buildReport({
    hosts,
    needs: ANY,
    helperImage: IMAGE,
    leftovers: ['host h2: probe container abc: stopping'],
  });
  t.true(r.ok);
  t.deepEqual(
    r.findings.map((f) => [f.severity, f.host ?? '-', f.summary.split(':')[0]]),
    [
      ['warning', 'h1', 'host h1'],
      ['warning', 'h2', 'host h2'],
      ['warning', '-', 'the probe could not undo everything'],
    ],
  );
  t.is(r.hosts[0].clock?.skewMs, 5000);
  t.regex(r.findings[0].summary, /5000 ms off the others'/);
});
