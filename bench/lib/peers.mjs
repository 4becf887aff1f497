/**
 * The peers as the bench runs them, and the steps around them, for one bench sandbox instance: stack (the CLI as a
 * user runs it), the floor (bench/floor.mjs and a bare container list), docker-compose, Docker Swarm; the instance's
 * script (up, heal), a wipe-and-heal before each measured run, a swarm made and left. `npm run bench` (bench/run.mjs,
 * instance `bench`) and the growth curves (bench/growth.mjs, instance `grow`) both run them through `peers()`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerCount, engineOf, swarmConverged, until, wipe } from './engine.mjs';
import { criticalPath } from './report.mjs';
import { NO_DAEMON } from './daemon.mjs';

export const DOCKER = '/usr/bin/docker'; // Debian's 20.10 CLI: has `stack deploy`

/**
 * @param {{ repo: string, work: string, instance: string, log: (...a: unknown[]) => void }} o
 *   `work`: the bench's scratch folder (its docker CLI config lives under it); `instance`: STACK_SANDBOX of its hosts.
 */
export function peers({ repo, work, instance, log }) {
  const cliConfig = join(work, 'docker-cli');

  /** Runs a command in the repository; resolves with its time and output, rejects with its failing lines. */
  function run(cmd, argv, env = {}) {
    return new Promise((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const spawnedAt = Date.now();
      const p = spawn(cmd, argv, { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      p.on('error', reject);
      p.on('close', (code) => {
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        const exitedAt = Date.now();
        if (code !== 0)
          reject(
            new Error(
              `${cmd} ${argv.join(' ')} exited ${code}:\n${stdout
                .split('\n')
                .filter((l) => l.includes('failed') || l.startsWith('✗') || l.includes('"op-failed"'))
                .slice(0, 8)
                .join('\n')}\n${stderr.slice(-2000)}`,
            ),
          );
        else resolve({ seconds, stdout, stderr, spawnedAt, exitedAt });
      });
    });
  }

  /** The instance's sandbox script; its own messages go to stderr, and a failure ends the run with one line. */
  function sandbox(...a) {
    try {
      execFileSync('bash', ['deploy/sandbox/sandbox.sh', ...a], {
        cwd: repo,
        env: { ...process.env, STACK_SANDBOX: instance },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    } catch {
      throw new Error(
        `STACK_SANDBOX=${instance} sandbox.sh ${a.join(' ')} failed (its message above); fix that and run the bench again`,
      );
    }
  }

  const dockerCli = (host, ...a) =>
    execFileSync(DOCKER, ['-H', host.socket, ...a], {
      env: { ...process.env, DOCKER_CONFIG: cliConfig },
      encoding: 'utf8',
    }).trim();

  /**
   * stack: the CLI as a user runs it (process start included), under /usr/bin/time -v for peak RSS; in a process of
   * its own unless `env` names a daemon (bench/lib/daemon.mjs). `perHost`: the
   * summary's Engine calls per host (reads and writes apart); `calls`: their sums.
   */
  async function stackApply(ctx, file, name, env = NO_DAEMON) {
    const r = await run(
      '/usr/bin/time',
      ['-v', process.execPath, 'bin/stack.js', 'apply', '--yes', '--json', '-i', ctx.inventory, '-f', file, '-p', name],
      env,
    );
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const summary = events.findLast((e) => e.type === 'summary');
    const calls = Object.values(summary.calls).reduce(
      (a, c) => ({ reads: a.reads + c.reads, writes: a.writes + c.writes }),
      { reads: 0, writes: 0 },
    );
    const replaced = events.filter((e) => e.type === 'op-done' && e.op.kind === 'container.create').length;
    const rssMB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
    const path = replaced ? criticalPath(events, r.spawnedAt, r.exitedAt) : undefined;
    return { seconds: r.seconds, calls, perHost: summary.calls, created: replaced, rssMB, path };
  }

  /** stack destroy, volumes too: its own overlay's bridges, devices and Consul leases go with it. */
  async function stackDestroy(ctx, file, name) {
    const destroy = () =>
      run(
        process.execPath,
        ['bin/stack.js', 'destroy', '--yes', '--prune-volumes', '-i', ctx.inventory, '-f', file, '-p', name],
        NO_DAEMON,
      );
    // Not measured; a step that fails is logged and the destroy run again, as a user would (a re-run converges).
    // A network whose stale endpoint count dockerd 20.10 keeps until it restarts (docs/faults.md) stays behind:
    // later runs use new names and the pool avoids its subnet, so the run goes on.
    await destroy()
      .catch((err) => {
        log(`destroy ${name} failed, running it again: ${String(err.message).split('\n').slice(0, 6).join(' | ')}`);
        return destroy();
      })
      .catch((err) =>
        log(`destroy ${name} failed again, going on: ${String(err.message).split('\n').slice(0, 3).join(' | ')}`),
      );
  }

  const floorApply = (ctx, paths) => run(process.execPath, ['bench/floor.mjs', paths.floor, ctx.sandboxJson]);
  /** The least a tool must do to know nothing changed: list the containers of every host, in parallel, in a fresh process. */
  const floorNoop = (ctx) =>
    run(process.execPath, [
      '--input-type=module',
      '-e',
      `import D from 'dockerode'; await Promise.all(${JSON.stringify(ctx.hosts.map((h) => new URL(h.socket).pathname))}.map((s) => new D({ socketPath: s }).listContainers({ all: true })));`,
    ]);
  /** Floor for one service's change: per host remove its replica and create and start the new one, in parallel. */
  async function floorReplace(ctx, paths, service) {
    const spec = JSON.parse(readFileSync(paths.floor, 'utf8'));
    const code = `import D from 'dockerode'; const spec = ${JSON.stringify(spec)}; const socks = ${JSON.stringify(Object.fromEntries(ctx.hosts.map((h) => [h.name, new URL(h.socket).pathname])))};
await Promise.all(spec.hosts.map(async (h) => { const e = new D({ socketPath: socks[h.host] }); await Promise.all(h.containers.filter((c) => c.name.includes('_${service}_')).map(async (c) => { await e.getContainer(c.name).remove({ force: true }); await (await e.createContainer({ ...c.body, name: c.name })).start(); })); }));`;
    return run(process.execPath, ['--input-type=module', '-e', code]);
  }

  /** docker-compose v1, one process per host in parallel, each with its host's file; the run takes as long as the slowest. */
  async function composeUp(ctx, paths, name) {
    const t0 = process.hrtime.bigint();
    await Promise.all(
      ctx.hosts.map((h, i) =>
        run('docker-compose', ['-p', name, '-f', paths.compose[i], 'up', '-d', '--no-build'], {
          DOCKER_HOST: h.socket,
        }),
      ),
    );
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
  }

  /** `docker stack deploy`, timed until every task of the workload runs (`taskOk`: of the spec wanted). */
  async function swarmDeploy(ctx, file, name, w, taskOk) {
    const manager = engineOf(ctx.hosts[0]);
    const t0 = process.hrtime.bigint();
    await run(DOCKER, ['-H', ctx.hosts[0].socket, 'stack', 'deploy', '-c', file, name], { DOCKER_CONFIG: cliConfig });
    const cli = Number(process.hrtime.bigint() - t0) / 1e9;
    await until(`swarm stack ${name}`, () => swarmConverged(manager, name, w.services, w.replicas, taskOk));
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cli };
  }
  /** Swarm's no-op: `docker stack deploy` of the same file again (CLI time). */
  const swarmNoop = (ctx, file, name) =>
    run(DOCKER, ['-H', ctx.hosts[0].socket, 'stack', 'deploy', '-c', file, name], { DOCKER_CONFIG: cliConfig });
  /** Removes a Swarm stack and waits until its containers are gone. */
  async function swarmRemove(ctx, name) {
    dockerCli(ctx.hosts[0], 'stack', 'rm', name);
    await until('swarm stack removed', async () => (await containerCount(ctx.hosts)) === 0);
  }

  /** A swarm of `hosts` (the first the manager, the others workers), on daemons without a cluster store. */
  function swarmUp(hosts) {
    dockerCli(hosts[0], 'swarm', 'init', '--advertise-addr', hosts[0].ip, '--default-addr-pool', '10.200.0.0/16');
    const token = dockerCli(hosts[0], 'swarm', 'join-token', '-q', 'worker');
    for (const h of hosts.slice(1))
      dockerCli(h, 'swarm', 'join', '--advertise-addr', h.ip, '--token', token, `${hosts[0].ip}:2377`);
  }
  /** Every host leaves its swarm (workers first), then the hosts are wiped; whatever is not in a swarm is skipped. */
  async function swarmDown(hosts) {
    for (const h of [...hosts].reverse()) {
      try {
        dockerCli(h, 'swarm', 'leave', '--force');
      } catch {
        /* not in a swarm */
      }
    }
    await wipe(hosts).catch((err) => log('wipe after swarm:', err.message));
  }

  /**
   * A VXLAN device stack's own overlay left behind (a destroy the stale endpoint count stopped) holds UDP 4789 in its
   * host's namespace with other flags than Swarm's, and Swarm's overlay then fails on that host: remove them.
   */
  function removeVxlanLeftovers(hosts) {
    for (const h of hosts)
      for (const dev of execFileSync('ip', ['-n', h.netns, '-o', 'link', 'show', 'type', 'vxlan'], {
        encoding: 'utf8',
      })
        .split('\n')
        .map((l) => /^\d+: (stvx\d+)/.exec(l)?.[1])
        .filter(Boolean)) {
        log(`removing ${dev} left on ${h.name} before Swarm`);
        execFileSync('ip', ['-n', h.netns, 'link', 'del', dev]);
      }
  }

  const allUp = async (hosts) =>
    (
      await Promise.all(
        hosts.map((h) =>
          engineOf(h)
            .ping()
            .then(
              () => true,
              () => false,
            ),
        ),
      )
    ).every(Boolean);

  /**
   * Before every measured run: nothing on the hosts, and no daemon with a thread stuck in a torn-down
   * overlay namespace (dockerd 20.10; its registry calls would fail) — `sandbox heal` restarts those.
   * `swarm`: also wait until every host of ctx is a ready node.
   */
  async function fresh(ctx, swarm = false) {
    await until('daemons up', () => allUp(ctx.hosts));
    await wipe(ctx.hosts);
    sandbox('heal');
    if (swarm)
      await until(
        'swarm nodes ready',
        async () =>
          (await engineOf(ctx.hosts[0]).listNodes()).filter((n) => n.Status?.State === 'ready').length ===
          ctx.hosts.length,
      );
    await until('daemons up', () => allUp(ctx.hosts));
  }

  const engineVersion = (host) =>
    dockerCli(host, 'version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})');

  return {
    run,
    sandbox,
    dockerCli,
    stackApply,
    stackDestroy,
    floorApply,
    floorNoop,
    floorReplace,
    composeUp,
    swarmDeploy,
    swarmNoop,
    swarmRemove,
    swarmUp,
    swarmDown,
    removeVxlanLeftovers,
    fresh,
    engineVersion,
  };
}

/**
 * The inventory the bench's peers use: every host over its unix socket (no TLS for anyone), with `stack.underlay`,
 * the address stack's own overlay tunnels to (a unix socket cannot tell it), the instance's Consul and the helper image.
 */
export function inventoryText(hosts, sb) {
  return `hosts:\n${hosts.map((h) => `  ${h.name}: { endpoint: "${h.socket}", labels: ${JSON.stringify({ ...h.labels, 'stack.underlay': h.ip })} }`).join('\n')}\nconsul: "${sb.consul.http}"\noverlay: { helper_image: "${sb.images.helper}" }\n`;
}
