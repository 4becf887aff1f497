/**
 * The probe container of `hosts check` (pure parts): constant scripts that quote every expansion, every value a
 * separate argument parsed into its type first, least privilege in the create body, and strict parsers of its output
 * (data from a host).
 */
import test from 'ava';
import { Labels } from '../../../src/labels.js';
import {
  CLEANUP_SCRIPT,
  DATA_ROOT_TARGET,
  MAIN_SCRIPT,
  PROBE_ARGV0,
  READ_SCRIPT,
  SETUP_SCRIPT,
  cleanupCommand,
  dfCommand,
  mainCommand,
  parseCounters,
  parseDf,
  probeBody,
  probeDevice,
  probeRun,
  readCommand,
  sendCommand,
  setupCommand,
} from '../../../src/hosts/probe-scripts.js';
import { OverlayValueError, type Ipv4 } from '../../../src/overlay/values.js';

/** Each `$name` sh expands outside single quotes, and whether it is inside double quotes (`$(…)` starts afresh). */
function expansions(script: string): [string, boolean][] {
  const out: [string, boolean][] = [];
  const stack: ('plain' | 'double')[] = ['plain'];
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    const top = stack[stack.length - 1];
    if (top === 'plain' && c === "'") i = script.indexOf("'", i + 1);
    else if (c === '"') stack[stack.length - 1] = top === 'plain' ? 'double' : 'plain';
    else if (c === '$' && script[i + 1] === '(') {
      stack.push('plain');
      i++;
    } else if (c === ')' && top === 'plain' && stack.length > 1) stack.pop();
    else if (c === '$')
      out.push([/^[A-Za-z_][A-Za-z0-9_]*|^[0-9@#?!]/.exec(script.slice(i + 1))![0], top === 'double']);
  }
  return out;
}

const run = probeRun('0a1b2c', 16_000_000);
const ip = (s: string) => s as Ipv4;

test('every script is a constant that double-quotes each expansion', (t) => {
  for (const [name, script] of Object.entries({ MAIN_SCRIPT, SETUP_SCRIPT, READ_SCRIPT, CLEANUP_SCRIPT })) {
    const found = expansions(script);
    t.true(found.length > 0, name);
    for (const [v, quoted] of found) t.true(quoted, `${name}: $${v} is not double-quoted`);
  }
});

test('devices are stchk<nonce>.<index> with VNI base+index; the run nonce and the indexes are checked', (t) => {
  t.deepEqual(probeDevice(run, 0), { dev: 'stchk0a1b2c.0', vni: 16_000_000 });
  t.deepEqual(probeDevice(run, 999), { dev: 'stchk0a1b2c.999', vni: 16_000_999 });
  t.throws(() => probeDevice(run, 1000), { instanceOf: OverlayValueError });
  t.throws(() => probeDevice(run, -1), { instanceOf: OverlayValueError });
  for (const nonce of ['0A1B2C', '0a1b2', '0a1b2c3', '$(x)!', '0a1b2;']) t.throws(() => probeRun(nonce, 16_000_000));
  t.throws(() => probeRun('0a1b2c', 16_777_000), { instanceOf: OverlayValueError });
});

test('the commands: a constant script, then $0 and each value as its own argument', (t) => {
  const d0 = probeDevice(run, 0);
  const d1 = probeDevice(run, 1);
  t.deepEqual(mainCommand(90, [d0.dev, d1.dev]), [
    'chroot',
    '/host',
    '/bin/sh',
    '-c',
    MAIN_SCRIPT,
    PROBE_ARGV0,
    '90',
    'stchk0a1b2c.0',
    'stchk0a1b2c.1',
  ]);
  t.deepEqual(setupCommand(ip('10.0.0.11'), d0, [d1], [ip('10.0.0.12')]).slice(4), [
    SETUP_SCRIPT,
    PROBE_ARGV0,
    '10.0.0.11',
    '4789',
    'stchk0a1b2c.0',
    '16000000',
    'stchk0a1b2c.1',
    '16000001',
    '--',
    '10.0.0.12',
  ]);
  t.deepEqual(readCommand([d1.dev]).slice(4), [READ_SCRIPT, PROBE_ARGV0, 'stchk0a1b2c.1']);
  t.deepEqual(cleanupCommand([d0.dev]).slice(4), [CLEANUP_SCRIPT, PROBE_ARGV0, 'stchk0a1b2c.0']);
  t.deepEqual(sendCommand(d0.dev), [
    'udhcpc',
    '-i',
    'stchk0a1b2c.0',
    '-n',
    '-q',
    '-t',
    '2',
    '-T',
    '1',
    '-s',
    '/bin/true',
  ]);
  t.deepEqual(dfCommand(), ['df', '-Pk', DATA_ROOT_TARGET]);
});

test('hostile values stop before any container exists: addresses, peers and lifetimes are parsed', (t) => {
  const d0 = probeDevice(run, 0);
  for (const bad of ['10.0.0.1; reboot', '$(touch /x)', '10.0.0.1\ntouch /x', '', '--'])
    t.throws(() => setupCommand(ip(bad), d0, [], []), { instanceOf: OverlayValueError }, bad);
  t.throws(() => setupCommand(ip('10.0.0.1'), d0, [], [ip('`id`')]), { instanceOf: OverlayValueError });
  for (const life of [0, 3601, 1.5, Number.NaN])
    t.throws(() => mainCommand(life, []), { instanceOf: OverlayValueError });
});

test('the create body: host network, NET_ADMIN, NET_RAW and SYS_CHROOT only, read-only everywhere, removed on exit', (t) => {
  const body = probeBody('reg/busybox@sha256:' + 'a'.repeat(64), run, ['true'], '/var/lib/docker');
  t.like(body, { Entrypoint: [], Tty: true, Labels: { [Labels.hostsCheck]: '0a1b2c' } });
  t.deepEqual(body.HostConfig, {
    NetworkMode: 'host',
    CapDrop: ['ALL'],
    CapAdd: ['NET_ADMIN', 'NET_RAW', 'SYS_CHROOT'],
    Privileged: false,
    SecurityOpt: ['no-new-privileges'],
    ReadonlyRootfs: true,
    Binds: ['/:/host:ro'],
    Mounts: [{ Type: 'bind', Source: '/var/lib/docker', Target: DATA_ROOT_TARGET, ReadOnly: true }],
    AutoRemove: true,
  });
  t.false('Mounts' in (probeBody('img', run, ['true'], undefined).HostConfig as object));
});

test('the counters: only `DEVICE N` lines of the devices asked for count', (t) => {
  const out = 'stchk0a1b2c.1 8\r\nstchk0a1b2c.2 0\nstchk0a1b2c.9 5\nstchk0a1b2c.3 \ngarbage line\nstchk0a1b2c.4 -1\n';
  t.deepEqual(parseCounters(out, ['stchk0a1b2c.1', 'stchk0a1b2c.2', 'stchk0a1b2c.3', 'stchk0a1b2c.4']), {
    'stchk0a1b2c.1': 8,
    'stchk0a1b2c.2': 0,
  });
});

test("df -Pk: the data root's total and available bytes; any other shape is refused", (t) => {
  const out =
    'Filesystem           1024-blocks    Used Available Capacity Mounted on\r\n/dev/vda             264212084  18658832  76842432  20% /host\r\n';
  t.deepEqual(parseDf(out, '/var/lib/docker'), {
    path: '/var/lib/docker',
    totalBytes: 264212084 * 1024,
    availableBytes: 76842432 * 1024,
  });
  t.is(parseDf('df: /stack-data-root: No such file or directory\n', '/x'), undefined);
  t.is(parseDf('Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda x y z 20% /\n', '/x'), undefined);
  t.is(parseDf(`${out}extra line\n`, '/x'), undefined);
});
