/** Engine helpers for the bench sandbox (its hosts only): wipe between runs, wait for Swarm tasks. */
import Docker from 'dockerode';

export const engineOf = (host) => new Docker({ socketPath: new URL(host.socket).pathname });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const BUILTIN = new Set(['bridge', 'host', 'none', 'docker_gwbridge', 'ingress']);

/** Removes every container, non-builtin network and volume on the bench hosts (they run nothing else). */
export async function wipe(hosts) {
  const engines = hosts.map(engineOf);
  await Promise.all(
    engines.map(async (e) => {
      const cs = await e.listContainers({ all: true });
      await Promise.all(
        cs.map((c) =>
          e
            .getContainer(c.Id)
            .remove({ force: true, v: true })
            .catch(() => {}),
        ),
      );
    }),
  );
  for (const e of engines) {
    const ns = await e.listNetworks();
    await Promise.all(
      ns
        .filter((n) => !BUILTIN.has(n.Name) && n.Scope !== 'swarm')
        .map((n) =>
          e
            .getNetwork(n.Id)
            .remove()
            .catch(() => {}),
        ),
    );
  }
  await Promise.all(
    engines.map(async (e) => {
      const { Volumes } = await e.listVolumes();
      await Promise.all(
        (Volumes ?? []).map((v) =>
          e
            .getVolume(v.Name)
            .remove({ force: true })
            .catch(() => {}),
        ),
      );
    }),
  );
}

/** Polls `check` until it returns true (an error counts as not yet: a daemon may be restarting); throws after the deadline. */
export async function until(what, check, timeoutMs = 300_000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    await sleep(intervalMs);
  }
}

/** True when every service of the Swarm stack has `replicas` running tasks of its current spec, and nothing else runs. */
export async function swarmConverged(manager, stack, services, replicas, taskOk = () => true) {
  const svcs = await manager.listServices({ filters: { label: [`com.docker.stack.namespace=${stack}`] } });
  if (svcs.length !== services) return false;
  const tasks = await manager.listTasks({
    filters: { label: [`com.docker.stack.namespace=${stack}`], 'desired-state': ['running'] },
  });
  for (const s of svcs) {
    const mine = tasks.filter((t) => t.ServiceID === s.ID);
    const running = mine.filter((t) => t.Status?.State === 'running' && taskOk(t, s));
    if (running.length !== replicas || mine.length !== replicas) return false;
  }
  return true;
}

/** Number of containers on the hosts (all states). */
export async function containerCount(hosts) {
  const counts = await Promise.all(hosts.map(async (h) => (await engineOf(h).listContainers({ all: true })).length));
  return counts.reduce((a, b) => a + b, 0);
}
