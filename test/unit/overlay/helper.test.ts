/**
 * runHelper's own paths against a stand-in for dockerode's container handle (the real helper runs in
 * test/integration/vxlan-*.test.ts): whatever happens, the helper is removed, and a removal that fails is
 * an error rather than a helper silently left on the host.
 */
import test from 'ava';
import { runHelper, type HelperTask } from '../../../src/overlay/helper.js';

const LIST: HelperTask = { kind: 'list' };

function hostWith(opts: { status?: number; output?: string; start?: Error; remove?: Error & { statusCode?: number } }) {
  const calls: string[] = [];
  const container = {
    id: 'c0ffee',
    start: async () => {
      calls.push('start');
      if (opts.start) throw opts.start;
    },
    wait: async () => (calls.push('wait'), { StatusCode: opts.status ?? 0 }),
    logs: async () => (calls.push('logs'), Buffer.from(opts.output ?? '')),
    remove: async (o: unknown) => {
      calls.push(`remove ${JSON.stringify(o)}`);
      if (opts.remove) throw opts.remove;
    },
  };
  const client = { name: 'h1', docker: { createContainer: async () => (calls.push('create'), container) } };
  return { client: client as never, calls };
}

test('a helper that ran is removed, and its output returned', async (t) => {
  const { client, calls } = hostWith({ output: 'stvx4096 4096 10.0.0.11 4789 1450\n' });
  t.is(await runHelper(client, 'busybox', LIST, 'list devices', 'app'), 'stvx4096 4096 10.0.0.11 4789 1450\n');
  t.deepEqual(calls, ['create', 'start', 'wait', 'logs', 'remove {"force":true}']);
});

test('a helper that failed to start, or exited non-zero, is removed all the same; the error says so', async (t) => {
  const failed = hostWith({ status: 2, output: 'RTNETLINK answers: Operation not permitted\n' });
  await t.throwsAsync(runHelper(failed.client, 'busybox', LIST, 'program app_default', 'app'), {
    message: 'host h1: overlay helper (program app_default) exited 2: RTNETLINK answers: Operation not permitted',
  });
  t.is(failed.calls.at(-1), 'remove {"force":true}');
  const unstarted = hostWith({ start: new Error('no such image') });
  await t.throwsAsync(runHelper(unstarted.client, 'busybox', LIST, 'program', 'app'), { message: 'no such image' });
  t.is(unstarted.calls.at(-1), 'remove {"force":true}');
});

test('a helper that could not be removed is an error naming it (one already gone is not)', async (t) => {
  const stuck = hostWith({
    remove: Object.assign(new Error('removal of container c0ffee is already in progress'), { statusCode: 409 }),
  });
  await t.throwsAsync(runHelper(stuck.client, 'busybox', LIST, 'list devices', 'app'), {
    message:
      'host h1: overlay helper (list devices) c0ffee could not be removed: removal of container c0ffee is already in progress',
  });
  const gone = hostWith({ remove: Object.assign(new Error('no such container'), { statusCode: 404 }) });
  t.is(await runHelper(gone.client, 'busybox', LIST, 'list devices', 'app'), '');
  const both = hostWith({
    status: 1,
    output: 'bad',
    remove: Object.assign(new Error('daemon gone'), { statusCode: 500 }),
  });
  await t.throwsAsync(
    runHelper(both.client, 'busybox', LIST, 'x', 'app'),
    { message: 'host h1: overlay helper (x) exited 1: bad' },
    'the first failure is the one reported',
  );
});
