/**
 * The API version each host was spoken to at, kept in the revision (RevisionSummary.apiVersions), on the sandbox's
 * daemons (Engine 20.10, API 1.41): an apply records it; a plan given a hint the daemon contradicts (as after an
 * Engine upgrade or downgrade: 1.44 on a 1.41 daemon, which refuses that version's paths) asks that host's lists and
 * digest again at the negotiated version and plans as without the hint; a matching hint asks nothing twice.
 */
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploy, RunSignals } from '../../src/deploy/deploy.js';
import { clientsFor } from '../../src/docker/client.js';
import { LocalStateStore } from '../../src/state/local-store.js';
import { desiredFor, IMAGE, planStack, service, uniqueStack } from './reconcile-helpers.js';

const COMMAND = ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"];

test('an apply records the API version of each host; the next no-op asks each host once per list', async (t) => {
  const name = uniqueStack('api');
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'stack-api-hints-'));
  const desired = desiredFor(
    name,
    [service('app', { image: IMAGE(), command: COMMAND, deploy: { replicas: 3 } })],
    'socket',
    {
      workingDir: mkdtempSync(path.join(os.tmpdir(), 'stack-api-hints-dir-')),
    },
  );
  const reads: number[][] = [];
  const run = async (destroy = false) => {
    const signals = new RunSignals(10_000);
    try {
      return await deploy(desired, {
        env: { STACK_STATE_DIR: stateDir, STACK_USER: 'api-hints-test' },
        lockTimeout: '30s',
        planning: () => ({}),
        destroy,
        io: {
          reporter: { event: () => undefined },
          showPlan: () => undefined,
          noChanges: (calls) =>
            void reads.push(
              Object.values(calls)
                .map((c) => c.reads)
                .sort((a, b) => a - b),
            ),
          warn: () => undefined,
          lockWait: () => undefined,
          confirm: () => Promise.resolve(),
        },
        signals,
      });
    } finally {
      signals.dispose();
    }
  };
  t.teardown(() =>
    run(true).then(
      () => undefined,
      () => undefined,
    ),
  );
  t.true((await run())?.ok);
  const store = new LocalStateStore(stateDir);
  t.teardown(() => store.close());
  t.deepEqual((await store.latest(name))?.apiVersions, { h1: '1.41', h2: '1.41', h3: '1.41' });
  t.is(await run(), undefined, 'a no-op');
  // every host: the ping and the four lists, sent together at the recorded version and kept; one also the digest
  t.deepEqual(reads, [[5, 5, 6]]);
});

test('a hint the daemon contradicts: that host is asked again at the negotiated version, and the plan is the same', async (t) => {
  const name = uniqueStack('apx');
  const d = desiredFor(name, [service('app', { image: IMAGE(), command: COMMAND, deploy: { replicas: 3 } })], 'socket');
  const plain = await planStack(d, { clients: clientsFor(d.hosts) });
  const clients = clientsFor(d.hosts);
  const hinted = await planStack(d, { clients, apiHints: { h1: '1.44', h2: '1.41', h9: '1.41' } });
  t.deepEqual(hinted.plan.operations, plain.plan.operations);
  t.deepEqual(hinted.observed.digests, plain.observed.digests);
  t.like(hinted.observed.hosts.h1.version, { api: { major: 1, minor: 41 } });
  // h1: its ping, the four lists and the digest at 1.44 (refused: "client version 1.44 is too new"), then again at
  // 1.41; h2 (the right hint) and h3 (none): the ping and the four lists
  t.deepEqual(
    ['h1', 'h2', 'h3'].map((h) => clients.get(h)!.counts.reads),
    [11, 5, 5],
  );
});
