/** The `hosts check` views: the table's cells, the UDP matrix, the notes, and JSON that is the report itself. */
import test from 'ava';
import { Writable } from 'node:stream';
import { formatBytes, formatSkew, hostRow, notes, printHostsCheck, udpMatrix } from '../../../src/cli/views/hosts.js';
import type { HostReport, HostsCheckReport } from '../../../src/hosts/types.js';

const h1: HostReport = {
  name: 'h1',
  endpoint: 'tcp://10.0.0.11:2376',
  reachable: true,
  latencyMs: 1.234,
  engine: {
    version: '28.5.2',
    apiVersion: '1.51',
    minApiVersion: '1.24',
    os: 'Debian',
    platform: 'linux/amd64',
    kernel: '6.1.0',
    clusterStore: '',
    clusterAdvertise: '',
    engineLabels: {},
  },
  clock: { offsetMs: 20, uncertaintyMs: 1, skewMs: -12.4 },
  underlay: '10.0.0.11',
  disk: { status: 'ok', value: { path: '/var/lib/docker', availableBytes: 5 * 1024 ** 3, totalBytes: 10 * 1024 ** 3 } },
  overlay: {
    engine: { status: 'failed', error: 'no cluster store (Engine /info)' },
    own: { status: 'ok', value: null },
  },
  vxlan: { status: 'ok', value: null },
  udpFrom: { h2: { status: 'ok', packets: 4 } },
  labels: { zone: 'a', role: 'web' },
};
const h2: HostReport = {
  ...h1,
  name: 'h2',
  latencyMs: 12.6,
  udpFrom: { h1: { status: 'lost' } },
  overlay: { ...h1.overlay, own: { status: 'failed', error: 'VXLAN over UDP 4789: nothing arrived from h1' } },
  pulledImage: true,
};
const h3: HostReport = {
  name: 'h3',
  endpoint: 'tcp://10.0.0.13:2376',
  reachable: false,
  error: 'connect ECONNREFUSED',
  disk: { status: 'skipped', why: 'unreachable' },
  overlay: { engine: { status: 'skipped', why: 'unreachable' }, own: { status: 'skipped', why: 'unreachable' } },
  vxlan: { status: 'skipped', why: 'unreachable' },
  udpFrom: {},
  labels: {},
};
const report: HostsCheckReport = {
  hosts: [h1, h2, h3],
  needs: { overlay: true, setting: 'auto', why: 'no stack file' },
  overlay: { path: 'own', why: 'no cluster store on h1, h2 (x-stack.overlay auto)' },
  findings: [{ severity: 'error', host: 'h3', summary: 'host h3 is unreachable: connect ECONNREFUSED' }],
  ok: false,
};

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const w = new Writable({
    write(chunk: Buffer, _e, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { stream: w as unknown as NodeJS.WriteStream, text: () => out };
}

test('cells: bytes, skew, ping, yes/no/-, labels sorted; an unreachable host shows dashes', (t) => {
  t.is(formatBytes(512), '512 B');
  t.is(formatBytes(5 * 1024 ** 3), '5.0 GiB');
  t.is(formatBytes(1536), '1.5 KiB');
  t.is(formatSkew(undefined), '-');
  t.is(formatSkew(0.2), '+0ms');
  t.is(formatSkew(-12.6), '-13ms');
  t.deepEqual(hostRow(h1), [
    'h1',
    'yes',
    '1.2ms',
    '28.5.2',
    '1.51',
    'linux/amd64',
    '6.1.0',
    '-12ms',
    '5.0 GiB',
    'no',
    'yes',
    'role=web zone=a',
  ]);
  t.deepEqual(hostRow(h3), ['h3', 'no', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-']);
});

test('the UDP matrix: received at (rows) from (columns); hosts not probed are left out', (t) => {
  t.deepEqual(udpMatrix(report.hosts), [
    'RECEIVED AT \\ FROM  h1    h2',
    'h1                  -     ok',
    'h2                  LOST  -',
  ]);
  t.deepEqual(udpMatrix([h3]), []);
});

test('notes: what failed or was not checked on reachable hosts, and a pulled image', (t) => {
  t.deepEqual(notes(report), [
    "h1: engine's overlay: no cluster store (Engine /info)",
    "h2: engine's overlay: no cluster store (Engine /info)",
    "h2: stack's own overlay: VXLAN over UDP 4789: nothing arrived from h1",
    'h2: the helper image was pulled for the probe',
  ]);
});

test('the human view: header, one row per host, the overlay line, the matrix, notes and the verdict', (t) => {
  const out = capture();
  printHostsCheck(report, { stream: out.stream });
  const text = out.text();
  t.regex(
    text,
    /^HOST +REACHABLE +PING +ENGINE +API +PLATFORM +KERNEL +CLOCK +DISK FREE +ENGINE OVERLAY +OWN OVERLAY +LABELS\n/,
  );
  t.regex(text, /\nh3 +no +-/);
  t.regex(text, /overlay: stack's own \(VXLAN, UDP 4789\) — no cluster store on h1, h2/);
  t.regex(text, /VXLAN datagrams \(UDP 4789\):\n {2}RECEIVED AT/);
  t.regex(text, /\nnot ok: 3 host\(s\) checked\n$/);
});

test('--json prints the report itself', (t) => {
  const out = capture();
  printHostsCheck(report, { json: true, stream: out.stream });
  t.deepEqual(JSON.parse(out.text()), JSON.parse(JSON.stringify(report)));
});
