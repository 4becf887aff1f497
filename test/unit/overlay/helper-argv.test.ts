/**
 * Nothing is ever interpolated into the helper's shell: its scripts are constants, every value is a separate
 * argument, parsed into its type first; a poisoned value stops before any container exists. The helper's own
 * output (data from a host) is parsed strictly too.
 */
import test from 'ava';
import {
  HELPER_ARGV0,
  LIST_SCRIPT,
  PROGRAM_SCRIPT,
  UNPROGRAM_SCRIPT,
  helperCommand,
  parseDeviceList,
  programTask,
  unprogramTask,
} from '../../../src/overlay/helper.js';
import { OverlayValueError } from '../../../src/overlay/values.js';

const HOSTILE = [
  '4096 type vxlan id 1; touch /x; #',
  '$(touch /x)',
  '`touch /x`',
  '10.0.0.1; reboot',
  '10.0.0.1\ntouch /x',
  "10.0.0.1' && touch /x '",
  '1450 && touch /x',
  '"; touch /x; "',
  '-1',
  '1e3',
  ' 4096',
  '0x1000',
  '4096.0',
  '',
];
/**
 * Each `$name` the shell expands in a script, and whether it is inside double quotes: a small scanner of sh's
 * quoting (single quotes literal, double quotes, and `$(…)` starting a fresh context, as in sh).
 */
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
    else if (c === '$') out.push([/^[A-Za-z_][A-Za-z0-9_]*|^[0-9@#?]/.exec(script.slice(i + 1))![0], top === 'double']);
  }
  return out;
}

const good = { vni: 4096, local: '10.0.0.11', mtu: 1450, peers: ['10.0.0.13', '10.0.0.12'] };

test('the program task: a constant script, then $0 and each value as its own argument (peers sorted)', (t) => {
  const argv = helperCommand(programTask(good, 'test'));
  t.deepEqual(argv, [
    'chroot',
    '/host',
    '/bin/sh',
    '-c',
    PROGRAM_SCRIPT,
    HELPER_ARGV0,
    'stvx4096',
    'stbr4096',
    '4096',
    '10.0.0.11',
    '4789',
    '1450',
    '10.0.0.12',
    '10.0.0.13',
  ]);
  t.deepEqual(helperCommand(unprogramTask('4097', 'test')), [
    'chroot',
    '/host',
    '/bin/sh',
    '-c',
    UNPROGRAM_SCRIPT,
    HELPER_ARGV0,
    'stvx4097',
  ]);
  t.deepEqual(helperCommand({ kind: 'list' }), ['chroot', '/host', '/bin/sh', '-c', LIST_SCRIPT, HELPER_ARGV0]);
});

test('the scripts never contain a value: the same text whatever the task, values only as "$1"…"$@", always double-quoted', (t) => {
  const a = helperCommand(programTask(good, 'test'));
  const b = helperCommand(
    programTask({ vni: 16_777_215, local: '192.168.7.9', mtu: 9000, peers: ['172.16.0.1'] }, 'test'),
  );
  t.is(a[4], b[4]);
  t.deepEqual(
    expansions('a "$1" $2 "x $(b "$3" $4) $5" \'$6\''),
    [
      ['1', true],
      ['2', false],
      ['3', true],
      ['4', false],
      ['5', true],
    ],
    'the scanner itself',
  );
  t.true(expansions(PROGRAM_SCRIPT).filter(([n]) => /^(?:vni|addr|dev|@)$/.test(n)).length >= 8);
  for (const script of [PROGRAM_SCRIPT, UNPROGRAM_SCRIPT, LIST_SCRIPT]) {
    for (const value of ['4096', '10.0.0', '1450', 'stvx4', 'stbr4', '4789'])
      t.false(script.includes(value), `${value} is not in the script`);
    t.false(script.includes('${'), 'no parameter expansion with modifiers');
    // Every positional parameter, and every variable set from one, is expanded inside double quotes.
    for (const [name, quoted] of expansions(script))
      if (/^(?:[1-9@]|dev|br|vni|addr|port|mtu|p|d)$/.test(name)) t.true(quoted, `$${name} is double-quoted`);
  }
});

test('every field of a program task is parsed into its type: a hostile value is an error naming where, never an argument', (t) => {
  for (const bad of HOSTILE) {
    for (const field of ['vni', 'local', 'mtu'] as const) {
      const err = t.throws(
        () => programTask({ ...good, [field]: bad }, 'Consul key stack/overlay/networks/s/k/allocation'),
        { instanceOf: OverlayValueError },
        `${field} ${JSON.stringify(bad)}`,
      );
      t.true(err.message.startsWith('Consul key stack/overlay/networks/s/k/allocation: '));
      t.false(err.message.includes('touch'), 'the value is not echoed');
    }
    t.throws(
      () => programTask({ ...good, peers: ['10.0.0.12', bad] }, 'x'),
      { instanceOf: OverlayValueError },
      `peer ${JSON.stringify(bad)}`,
    );
    t.throws(() => unprogramTask(bad, 'host h1: label'), { instanceOf: OverlayValueError });
  }
  t.throws(() => programTask({ ...good, vni: 0 }, 'k'), {
    message: 'k: vni must be an integer 1..16777215, not the number 0',
  });
  t.throws(() => programTask({ ...good, vni: 16_777_216 }, 'k'), { message: /vni must be an integer 1\.\.16777215/ });
  t.throws(() => programTask({ ...good, mtu: 575 }, 'k'), {
    message: 'k: mtu must be an integer 576..9000, not the number 575',
  });
  t.throws(() => programTask({ ...good, mtu: 9001 }, 'k'), { message: /mtu must be an integer 576\.\.9000/ });
  t.throws(() => programTask({ ...good, local: '10.0.0.256' }, 'k'), {
    message: 'k: the underlay address must be an IPv4 address (a.b.c.d), not a string of 10 characters',
  });
  t.throws(() => programTask({ ...good, peers: '10.0.0.12' }, 'k'), {
    message: 'k: peers must be a list of IPv4 addresses, not a string of 9 characters',
  });
});

test("the list helper's output is parsed strictly: anything but stack's device lines is an error naming the host and line", (t) => {
  t.deepEqual(parseDeviceList('stvx4096 4096 10.0.0.11 4789 1450 10.0.0.12 \r\n\r\n', 'h1'), {
    stvx4096: { vni: 4096, local: '10.0.0.11', dstport: 4789, mtu: 1450, peers: ['10.0.0.12'] },
  });
  const bad = [
    ['eth0 4096 10.0.0.11 4789 1450', 'not a `stvx<VNI> VNI LOCAL DSTPORT MTU dst…` line'],
    ['stvx4096 4096 10.0.0.11 4789', 'not a `stvx<VNI> VNI LOCAL DSTPORT MTU dst…` line'],
    ['stvx4096 4096;id 10.0.0.11 4789 1450', 'vni must be an integer 1..16777215, not a string of 7 characters'],
    ['stvx4096 4096 10.0.0.x 4789 1450', 'local must be an IPv4 address (a.b.c.d), not a string of 8 characters'],
    ['stvx4096 4096 10.0.0.11 99999 1450', 'dstport must be an integer 1..65535'],
    ['stvx4096 4096 10.0.0.11 4789 mtu', 'mtu must be an integer 10..65535'],
    [
      'stvx4096 4096 10.0.0.11 4789 1450 $(reboot)',
      'peers[0] must be an IPv4 address (a.b.c.d), not a string of 9 characters',
    ],
  ];
  for (const [line, problem] of bad)
    t.throws(
      () => parseDeviceList(`stvx9 9 10.0.0.1 4789 1450\n${line}\n`, 'h2'),
      { message: `host h2: overlay helper output, line 2: ${problem}` },
      line,
    );
});
