/** The lock value names the user, machine, command and CI job. */
import os from 'node:os';
import test from 'ava';
import { ciJobOf, lockInfo } from '../../../src/state/lock-info.js';
import { describeHolder } from '../../../src/state/types.js';

test('the CI job comes from the first known CI variable', (t) => {
  t.is(ciJobOf({}), undefined);
  t.is(ciJobOf({ GITHUB_RUN_ID: '42' }), 'GITHUB_RUN_ID=42');
  t.is(ciJobOf({ CI_JOB_ID: '7', BUILD_ID: '9' }), 'CI_JOB_ID=7');
});

test('lock info: user, machine, command, CI job, since, pid', (t) => {
  const info = lockInfo('s', 'apply', { STACK_USER: 'ann', BUILD_ID: '9' }, new Date(0));
  t.deepEqual(info, {
    stack: 's',
    user: 'ann',
    machine: os.hostname(),
    command: 'apply',
    ciJob: 'BUILD_ID=9',
    since: '1970-01-01T00:00:00.000Z',
    pid: process.pid,
  });
  t.is(
    describeHolder(info),
    `ann@${os.hostname()} (apply, CI job BUILD_ID=9, pid ${process.pid}) since 1970-01-01T00:00:00.000Z`,
  );
});
