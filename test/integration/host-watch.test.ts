/**
 * What `stack daemon` keeps of a host between runs, on the sandbox's dockerd (their unix sockets): once a host's event
 * stream is open and quiet, a plan reads it no more (its lists and API version come from the watch; only the image's
 * digest is asked of one host); a container stopped behind stack's back is seen by the next plan; with no run in
 * between, the watch reads the host again itself once it is quiet; a healthcheck-like exec changes nothing kept; an
 * apply through the same process converges and the watch is quiet again after it. This file's process watches its
 * hosts as the daemon does (watchHosts).
 */
import test from 'ava';
import { clientsFor } from '../../src/docker/client.js';
import { endHostWatches, hostWatchFor, listKey, watchHosts } from '../../src/docker/host-watch.js';
import type { DesiredState } from '../../src/stack/types.js';
import {
  cleanup,
  containersOf,
  deploy,
  desiredFor,
  docker,
  eventually,
  execIn,
  IMAGE,
  planStack,
  service,
  uniqueStack,
} from './reconcile-helpers.js';

test.before(() => watchHosts());
test.after.always(() => endHostWatches());

/** Polls a condition of this process's own state every 10 ms, for at most 30 s. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Look {
  changes: number;
  reads: Record<string, number>;
  total: number;
}

/** One plan with clients of its own, as a run in the daemon makes them: how many changes, and the reads per host. */
async function look(d: DesiredState): Promise<Look> {
  const clients = clientsFor(d.hosts);
  const planned = await planStack(d, { clients });
  const reads = Object.fromEntries(d.hosts.map((h) => [h.name, clients.get(h.name)!.counts.reads]));
  const total = Object.values(reads).reduce((a, b) => a + b, 0);
  return { changes: planned.plan.operations.length, reads, total };
}

/**
 * Plans until one reads no host but for the image's digest (the writes' events have come and the lists are kept).
 * Other test files write to the same hosts meanwhile: it takes a moment when all three are quiet.
 */
const quiet = (d: DesiredState, what: string) =>
  eventually(
    async () => {
      const l = await look(d);
      return l.total <= 1 && l;
    },
    90_000,
    what,
  );

function stackOn(name: string): DesiredState {
  const app = service('app', {
    image: IMAGE(),
    command: ['sleep', '3600'],
    stopGracePeriodNs: 1e9,
    deploy: { replicas: 3 },
  });
  return desiredFor(name, [app], 'socket');
}

test.serial(
  'a quiet host is not read again; a container stopped behind stack is seen at once; the watch reads its host again itself',
  async (t) => {
    const d = stackOn(uniqueStack('hw'));
    cleanup(t, d);
    const applied = await deploy(d);
    t.true(applied.result?.ok, JSON.stringify(applied.result?.failures));
    for (const h of d.hosts) t.truthy(hostWatchFor(h.endpoint), `${h.name} is watched`);

    const kept = await quiet(d, 'a plan that reads only the digest');
    t.is(kept.changes, 0);
    t.deepEqual(Object.values(kept.reads).sort(), [0, 0, 1], JSON.stringify(kept.reads));

    const onH2 = [...(await containersOf(d.name)).values()].find((c) => c.host === 'h2');
    t.truthy(onH2, 'a replica on h2');
    await docker('h2').getContainer(onH2!.info.Id).stop({ t: 0 });
    const seen = await eventually(
      async () => {
        const l = await look(d);
        return l.changes > 0 && l;
      },
      5_000,
      'the stopped replica in the plan',
    );
    t.true(seen.changes > 0);

    // With no run in between, the watch reads h3 again itself once h3 is quiet after the stop's events.
    const onH3 = [...(await containersOf(d.name)).values()].find((c) => c.host === 'h3')!;
    const h3 = hostWatchFor(d.hosts.find((h) => h.name === 'h3')!.endpoint)!;
    const containersKept = () => h3.take<unknown[]>(listKey('containers', {}));
    t.truthy(containersKept(), "h3's containers kept before the stop");
    await docker('h3').getContainer(onH3.info.Id).stop({ t: 0 });
    await until(() => containersKept() === undefined, "h3's lists dropped at the stop's events");
    // Only this process's runs and the watch's own refill fill its lists, and no run comes in between. Other test
    // files write to the same hosts meanwhile: their events may drop the lists again before the look, so look again.
    let refilled: Look | undefined;
    for (let i = 0; i < 10 && !(refilled && refilled.reads.h3 <= 1); i++) {
      await until(() => containersKept() !== undefined, "h3's lists read again by the watch");
      refilled = await look(d);
    }
    t.true(refilled!.changes >= 2, `both stopped replicas in the plan: ${refilled!.changes}`);
    t.true(refilled!.reads.h3 <= 1, `h3 not read by the run: ${JSON.stringify(refilled!.reads)}`);

    const again = await deploy(d);
    t.true(again.result?.ok, JSON.stringify(again.result?.failures));
    const converged = await quiet(d, 'quiet again after the apply');
    t.is(converged.changes, 0);
  },
);

test.serial('an exec in a container (what a healthcheck probe is) changes nothing kept', async (t) => {
  const d = stackOn(uniqueStack('hx'));
  cleanup(t, d);
  const applied = await deploy(d);
  t.true(applied.result?.ok, JSON.stringify(applied.result?.failures));
  await quiet(d, 'a plan that reads only the digest');

  const onH1 = [...(await containersOf(d.name)).values()].find((c) => c.host === 'h1')!;
  const h1 = hostWatchFor(d.hosts.find((h) => h.name === 'h1')!.endpoint)!;
  const containersKept = () => h1.take<unknown[]>(listKey('containers', {}));
  // Other test files write to h1 meanwhile, and their events drop its lists: an exec must leave them kept in one of
  // five tries (an exec that dropped them would in none).
  let keptAfterExec = false;
  for (let i = 0; i < 5 && !keptAfterExec; i++) {
    await until(() => containersKept() !== undefined, "h1's lists kept");
    const ran = await execIn('h1', onH1.info.Id, ['true']);
    t.is(ran.exitCode, 0);
    // The exec's events (exec_create, exec_start, exec_die) reach the watch within moments; give them those.
    await new Promise((resolve) => setTimeout(resolve, 300));
    keptAfterExec = containersKept() !== undefined;
  }
  t.true(keptAfterExec, "h1's lists still kept after an exec");
});
