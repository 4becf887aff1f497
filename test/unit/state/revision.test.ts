/** Revisions from desired states and back: secrets only as hashes, stable hash, rollback target, secret checks. */
import { createHash } from 'node:crypto';
import test from 'ava';
import {
  buildRevision,
  hashStored,
  restoreDesired,
  rollbackTarget,
  storeDesired,
  type RolloutInput,
} from '../../../src/state/revision.js';
import { printHistory } from '../../../src/cli/views/history.js';
import type { FileObjectSpec } from '../../../src/stack/types.js';
import type { Plan } from '../../../src/plan/types.js';
import { desired, service } from '../plan/helpers.js';
import { HashKey, PUBLIC_TEST_KEY } from '../../../src/sensitive.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const secret = (value: string): FileObjectSpec => ({
  key: 'pw',
  name: 's_pw',
  kind: 'secret',
  source: 'file:./pw.txt',
  external: false,
  content: Buffer.from(value),
  contentHash: sha(value),
});
const config = (value: string): FileObjectSpec => ({
  key: 'conf',
  name: 's_conf',
  kind: 'config',
  source: 'content',
  external: false,
  content: Buffer.from(value),
  contentHash: sha(value),
});
const emptyPlan: Plan = {
  stack: 's',
  hosts: [],
  changes: [],
  operations: [],
  compensations: [],
  diagnostics: [],
  placement: {},
  rollouts: [],
};

function stack(secretValue = 'hunter2') {
  return desired([service('web', { environment: { V: '1' } })], {
    name: 's',
    secrets: { pw: secret(secretValue) },
    configs: { conf: config('a=1') },
  });
}

test('a stored stack keeps secrets as hashes only and configs as bytes', (t) => {
  const stored = storeDesired(stack(), PUBLIC_TEST_KEY);
  const text = JSON.stringify(stored);
  t.false(text.includes('hunter2'));
  t.false(text.includes(sha('hunter2')), 'no plain hash of a secret');
  t.is(stored.secrets.pw.contentHash, undefined);
  t.regex(String(stored.secrets.pw.contentHmac), /^hmac:[0-9a-f]{64}$/);
  t.is(Buffer.from(stored.configs.conf.content!, 'base64').toString(), 'a=1');
});

test('equal stacks give equal hashes; a changed secret changes the hash', (t) => {
  t.is(hashStored(storeDesired(stack(), PUBLIC_TEST_KEY)), hashStored(storeDesired(stack(), PUBLIC_TEST_KEY)));
  t.not(hashStored(storeDesired(stack(), PUBLIC_TEST_KEY)), hashStored(storeDesired(stack('other'), PUBLIC_TEST_KEY)));
});

test('rollback target: a destroy revision is never one; after a destroy, the last successful apply before it', (t) => {
  const revs = [
    { number: 1, result: 'ok' as const, kind: 'apply' as const },
    { number: 2, result: 'ok' as const },
    { number: 3, result: 'ok' as const, kind: 'destroy' as const },
    { number: 4, result: 'ok' as const, kind: 'destroy' as const },
  ];
  t.is(rollbackTarget(revs), 2);
  t.is(rollbackTarget(revs.slice(0, 3)), 2);
  t.deepEqual(rollbackTarget(revs, 3), {
    error: 'revision 3 is a destroy: there is nothing to apply again (run stack destroy for that)',
  });
  t.is(rollbackTarget(revs, 1), 1);
  t.deepEqual(
    rollbackTarget([
      { number: 1, result: 'ok', kind: 'destroy' },
      { number: 2, result: 'ok', kind: 'destroy' },
    ]),
    { error: 'no successful apply before revision 2' },
  );
});

test('rollback target: the last successful revision before the newest, or --to N if it is kept', (t) => {
  const revs = [
    { number: 4, result: 'ok' as const },
    { number: 5, result: 'failed' as const },
    { number: 6, result: 'ok' as const },
    { number: 7, result: 'ok' as const },
  ];
  t.is(rollbackTarget(revs), 6);
  t.is(rollbackTarget(revs.slice(0, 3)), 4);
  t.is(rollbackTarget(revs, 5), 5);
  t.deepEqual(rollbackTarget(revs, 2), { error: 'revision 2 is not in the history (kept: 4, 5, 6, 7)' });
  t.deepEqual(rollbackTarget([]), { error: 'the stack has no revisions yet' });
  t.deepEqual(rollbackTarget([{ number: 1, result: 'ok' }]), { error: 'no successful apply before revision 1' });
});

test('restoring a revision gives its services with the secret read now, when its hash is unchanged', (t) => {
  const record = buildRevision({
    number: 1,
    desired: stack(),
    plan: emptyPlan,
    result: 'ok',
    command: 'apply',
    who: 'me',
    when: new Date(0),
    hashKey: PUBLIC_TEST_KEY,
  });
  const current = desired([service('web', { environment: { V: '2' } })], { name: 's' });
  const restored = restoreDesired(current, record, () => secret('hunter2'), PUBLIC_TEST_KEY);
  t.deepEqual(restored.changedSecrets, []);
  t.is(restored.desired!.services.web.environment.V, '1');
  t.is(restored.desired!.secrets.pw.content!.toString(), 'hunter2');
  t.is(restored.desired!.configs.conf.content!.toString(), 'a=1');
  t.deepEqual(restored.desired!.hosts, current.hosts);
});

test('restoring refuses when a secret changed or cannot be read, naming it', (t) => {
  const record = buildRevision({
    number: 2,
    desired: stack(),
    plan: emptyPlan,
    result: 'ok',
    command: 'apply',
    who: 'me',
    when: new Date(0),
    hashKey: PUBLIC_TEST_KEY,
  });
  const changed = restoreDesired(stack(), record, () => secret('new'), PUBLIC_TEST_KEY);
  t.is(changed.desired, undefined);
  t.deepEqual(changed.changedSecrets, [{ key: 'pw', why: 'its content (file:./pw.txt) changed since revision 2' }]);
  const gone = restoreDesired(stack(), record, () => undefined, PUBLIC_TEST_KEY);
  t.deepEqual(gone.changedSecrets, [{ key: 'pw', why: 'cannot be read from file:./pw.txt any more' }]);
});

const rolledBack: RolloutInput = {
  service: 'api',
  outcome: 'rolled-back',
  updated: [],
  failures: [
    {
      container: 's-api-2',
      host: 'h2',
      op: 'h2 wait healthy s-api-2_next',
      error: 's-api-2_next: unhealthy (last check exit 1: no output)',
    },
  ],
  rolledBack: ['s-api-1'],
  rollbackErrors: [],
};
const completed: RolloutInput = {
  service: 'web',
  outcome: 'completed',
  updated: ['s-web-1'],
  failures: [],
  rolledBack: [],
  rollbackErrors: [],
};
const revisionInput = {
  number: 3,
  desired: stack(),
  plan: emptyPlan,
  command: 'apply',
  who: 'u@m',
  when: new Date(0),
  hashKey: PUBLIC_TEST_KEY,
};

test('a revision records each rollout: its outcome, the failed replica and why, what was rolled back; a failed rollout makes the result failed', (t) => {
  const r = buildRevision({ ...revisionInput, result: 'failed', rollouts: { web: completed, api: rolledBack } });
  t.is(r.result, 'failed');
  t.deepEqual(r.rollouts, [
    {
      service: 'api',
      outcome: 'rolled-back',
      failures: [
        {
          replica: 's-api-2',
          host: 'h2',
          op: 'h2 wait healthy s-api-2_next',
          reason: 's-api-2_next: unhealthy (last check exit 1: no output)',
        },
      ],
      updated: [],
      rolledBack: ['s-api-1'],
    },
    { service: 'web', outcome: 'completed', failures: [], updated: ['s-web-1'], rolledBack: [] },
  ]);
  // never recorded as ok with a rollout that failed, whatever the caller said
  for (const outcome of [
    'rolled-back',
    'paused',
    'completed-with-failures',
    'rollback-incomplete',
    'incomplete',
  ] as const)
    t.is(
      buildRevision({ ...revisionInput, result: 'ok', rollouts: { api: { ...rolledBack, outcome } } }).result,
      'failed',
      outcome,
    );
  t.is(buildRevision({ ...revisionInput, result: 'interrupted', rollouts: { api: rolledBack } }).result, 'interrupted');
  const ok = buildRevision({ ...revisionInput, result: 'ok', rollouts: { web: completed } });
  t.is(ok.result, 'ok');
  // no rollout: no key (as in revisions recorded before rollouts were)
  t.false('rollouts' in buildRevision({ ...revisionInput, result: 'ok' }));
  const incomplete = buildRevision({
    ...revisionInput,
    result: 'failed',
    rollouts: {
      api: {
        ...rolledBack,
        outcome: 'rollback-incomplete',
        rollbackErrors: [{ op: 'h1 rollback: start s-api-1', error: 'host h1 lost' }],
      },
    },
  });
  t.deepEqual(incomplete.rollouts![0].rollbackErrors, [{ op: 'h1 rollback: start s-api-1', error: 'host h1 lost' }]);
});

test('stack history shows how each rollout ended under its revision, and carries it in --json', (t) => {
  const { desired: _d, ...summary } = buildRevision({
    ...revisionInput,
    result: 'failed',
    rollouts: { api: rolledBack },
  });
  let text = '';
  const stream = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
  printHistory('s', 'local state in /tmp', [summary], { stream });
  const lines = text.split('\n');
  t.regex(lines[1], /^3\s+apply\s+failed\s/);
  t.is(lines[2], '    rollout api: rolled back; rolled back s-api-1');
  t.is(lines[3], '      replica s-api-2 on h2 failed: s-api-2_next: unhealthy (last check exit 1: no output)');
  text = '';
  printHistory('s', 'local state in /tmp', [summary], { stream, json: true });
  t.like(JSON.parse(text).revisions[0].rollouts[0], {
    service: 'api',
    outcome: 'rolled-back',
    rolledBack: ['s-api-1'],
  });
});

test('sensitive variables: stored only as keyed HMACs; restored from the current load when the HMAC matches, else refused by name', (t) => {
  const withPw = (pw: string) => {
    const d = stack();
    d.services.web = { ...d.services.web, environment: { V: '1', DB_PASSWORD: pw }, sensitive: ['DB_PASSWORD'] };
    return d;
  };
  const record = buildRevision({ ...revisionInput, number: 4, desired: withPw('pw-marker-1'), result: 'ok' });
  const text = JSON.stringify(record);
  t.false(text.includes('pw-marker-1'));
  t.false(text.includes(sha('pw-marker-1')));
  t.true(text.includes('"V":"1"'), 'a value that is not sensitive stays as it is');
  const same = restoreDesired(withPw('pw-marker-1'), record, () => secret('hunter2'), PUBLIC_TEST_KEY);
  t.is(same.desired!.services.web.environment.DB_PASSWORD, 'pw-marker-1');
  const changed = restoreDesired(withPw('pw-marker-2'), record, () => secret('hunter2'), PUBLIC_TEST_KEY);
  t.is(changed.desired, undefined);
  t.deepEqual(changed.changedVariables, [{ service: 'web', name: 'DB_PASSWORD', why: 'changed since revision 4' }]);
  const other = restoreDesired(withPw('pw-marker-1'), record, () => secret('hunter2'), HashKey.random());
  t.is(other.desired, undefined, 'another key never matches');
});

test('lifecycle hooks: sensitive hook values stored only as keyed HMACs; a restored revision takes the hooks of the current load', (t) => {
  const withHook = (pw: string) => {
    const d = stack();
    const hook = { command: ['true'], privileged: false, environment: { TOKEN: pw, A: '1' }, sensitive: ['TOKEN'] };
    d.services.web = { ...d.services.web, postStart: [hook], preStop: [hook] };
    return d;
  };
  const record = buildRevision({ ...revisionInput, number: 5, desired: withHook('hook-marker-1'), result: 'ok' });
  const text = JSON.stringify(record);
  t.false(text.includes('hook-marker-1'));
  t.true(text.includes('"A":"1"'));
  const restored = restoreDesired(withHook('hook-marker-2'), record, () => secret('hunter2'), PUBLIC_TEST_KEY);
  t.is(restored.desired!.services.web.postStart![0].environment.TOKEN, 'hook-marker-2');
  t.is(restored.desired!.services.web.preStop![0].environment.TOKEN, 'hook-marker-2');
});

test('a revision keeps the API version each host was spoken to at, in host order, and none when there were none', (t) => {
  const r = buildRevision({ ...revisionInput, result: 'ok', apiVersions: { h2: '1.51', h1: '1.41' } });
  t.deepEqual(r.apiVersions, { h1: '1.41', h2: '1.51' });
  t.deepEqual(Object.keys(r.apiVersions!), ['h1', 'h2']);
  t.false('apiVersions' in buildRevision({ ...revisionInput, result: 'ok', apiVersions: {} }));
  t.false('apiVersions' in buildRevision({ ...revisionInput, result: 'ok' }));
});
