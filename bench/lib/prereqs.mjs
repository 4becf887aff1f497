/**
 * What `npm run bench` needs before it starts anything, checked first: each prerequisite names what is missing and
 * the one thing that fixes it. What Debian packages (docker-compose, the 20.10 docker CLI, GNU time, …) is installed
 * through apt when the bench runs as root, as .ci/run installs the sandbox's packages; what is still missing after
 * that is reported one line each, and the bench stops before touching any host. The sandbox's own packages (dockerd,
 * etcd, the registry, …) are installed by `sandbox.sh up` itself.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnSync } from 'node:child_process';

/**
 * The probe the checks ask: root or not, a command on PATH, a file. `real()` looks at this machine; tests pass
 * their own.
 * @typedef {{ root: boolean, onPath: (cmd: string) => boolean, exists: (path: string) => boolean }} Probe
 */
/** @returns {Probe} */
export function realProbe(env = process.env) {
  const onPath = (cmd) =>
    (env.PATH ?? '').split(delimiter).some((dir) => {
      if (!dir) return false;
      try {
        accessSync(join(dir, cmd), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return { root: process.getuid?.() === 0, onPath, exists: existsSync };
}

/**
 * The bench's prerequisites. `pkg`: the Debian package that provides it (installable); `fix`: what to do otherwise.
 * @param {{ repo: string, engine28: boolean, engineCached: boolean }} opts
 * @returns {{ what: string, ok: (p: Probe) => boolean, pkg?: string, fix: string }[]}
 */
export function prerequisites({ repo, engine28, engineCached }) {
  const apt = (pkg) => `apt-get install -y ${pkg} (as root)`;
  return [
    {
      what: 'root',
      ok: (p) => p.root,
      fix: 'run it as root (the bench sandbox is network namespaces and dockerd)',
    },
    {
      what: 'the built CLI (dist/)',
      ok: (p) => p.exists(join(repo, 'dist', 'cli', 'main.js')),
      fix: 'npm run build (`npm run bench` builds first)',
    },
    { what: 'node_modules', ok: (p) => p.exists(join(repo, 'node_modules', 'dockerode')), fix: 'npm ci' },
    {
      what: "Debian's docker CLI 20.10 (/usr/bin/docker, for `docker stack deploy`)",
      ok: (p) => p.exists('/usr/bin/docker'),
      pkg: 'docker.io',
      fix: apt('docker.io'),
    },
    {
      what: 'docker-compose (v1, a peer)',
      ok: (p) => p.onPath('docker-compose'),
      pkg: 'docker-compose',
      fix: apt('docker-compose'),
    },
    { what: 'GNU time (/usr/bin/time, peak RSS)', ok: (p) => p.exists('/usr/bin/time'), pkg: 'time', fix: apt('time') },
    { what: 'flock (one bench at a time)', ok: (p) => p.onPath('flock'), pkg: 'util-linux', fix: apt('util-linux') },
    { what: 'ip (iproute2)', ok: (p) => p.onPath('ip'), pkg: 'iproute2', fix: apt('iproute2') },
    ...(engine28
      ? [
          {
            what: 'Engine 28 (built once from its Go module: needs go)',
            ok: (p) => engineCached || p.onPath('go'),
            fix: 'install Go ≥ 1.23 and run bash deploy/sandbox/build-engine.sh, or pass --no-engine28',
          },
        ]
      : []),
  ];
}

/**
 * The prerequisites the probe finds missing.
 * @param {{ what: string, ok: (p: Probe) => boolean, pkg?: string, fix: string }[]} prereqs
 * @param {Probe} probe
 */
export const missing = (prereqs, probe) => prereqs.filter((r) => !r.ok(probe));

/** One line per missing prerequisite: what, and the fix. */
export const missingLine = (r) => `bench: missing ${r.what}: ${r.fix}`;

/**
 * Checks, installs what apt can (as root, when apt-get is on PATH), checks again.
 * @param {{ what: string, ok: (p: Probe) => boolean, pkg?: string, fix: string }[]} prereqs
 * @param {Probe} probe
 * @param {(line: string) => void} log
 * @returns {string[]} the lines naming what is still missing (empty: ready)
 */
export function ensurePrerequisites(prereqs, probe = realProbe(), log = console.error) {
  const first = missing(prereqs, probe);
  const pkgs = [...new Set(first.map((r) => r.pkg).filter(Boolean))];
  if (pkgs.length > 0 && probe.root && probe.onPath('apt-get')) {
    log(`bench: installing ${pkgs.join(' ')} (apt)`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const opts = { stdio: ['ignore', 'ignore', 'inherit'], env };
    const ok =
      spawnSync('apt-get', ['update', '-qq'], opts).status === 0 &&
      spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], opts).status === 0;
    if (!ok) log(`bench: apt-get install ${pkgs.join(' ')} failed (see above)`);
  }
  return missing(prereqs, probe).map(missingLine);
}
