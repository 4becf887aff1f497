/**
 * The bench's prerequisites (issue 23): checked before any host is touched; each missing one named in one line with
 * its fix, never a stack trace; what apt provides is installed when the bench runs as root with apt-get.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ensurePrerequisites, missing, prerequisites } from '../../../bench/lib/prereqs.mjs';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
type Probe = { root: boolean; onPath: (cmd: string) => boolean; exists: (path: string) => boolean };
const everything: Probe = { root: true, onPath: () => true, exists: () => true };
const without = (cmds: string[], root = true): Probe => ({ ...everything, root, onPath: (c) => !cmds.includes(c) });

test('nothing is missing on a machine that has everything', (t) => {
  t.deepEqual(missing(prerequisites({ repo, engine28: true, engineCached: true }), everything), []);
});

test('without docker-compose and apt-get: one line naming it and the apt-get command that fixes it', (t) => {
  const logged: string[] = [];
  const lines = ensurePrerequisites(
    prerequisites({ repo, engine28: false, engineCached: false }),
    without(['docker-compose', 'apt-get']),
    (l: string) => logged.push(l),
  );
  t.deepEqual(lines, ['bench: missing docker-compose (v1, a peer): apt-get install -y docker-compose (as root)']);
  t.deepEqual(logged, [], 'no install attempted without apt-get');
});

test('not root: said first, with the fix, and nothing is installed', (t) => {
  const logged: string[] = [];
  const lines = ensurePrerequisites(
    prerequisites({ repo, engine28: false, engineCached: false }),
    without(['docker-compose'], false),
    (l: string) => logged.push(l),
  );
  t.is(lines.length, 2);
  t.regex(lines[0], /^bench: missing root: run it as root/);
  t.regex(lines[1], /docker-compose/);
  t.deepEqual(logged, []);
});

test('Engine 28 is a prerequisite only when its phase runs and it is not built: go, or --no-engine28', (t) => {
  const noGo = without(['go']);
  t.deepEqual(missing(prerequisites({ repo, engine28: false, engineCached: false }), noGo), []);
  t.deepEqual(missing(prerequisites({ repo, engine28: true, engineCached: true }), noGo), []);
  const [m] = missing(prerequisites({ repo, engine28: true, engineCached: false }), noGo);
  t.regex(m.fix, /build-engine\.sh.*--no-engine28/);
});

test('npm run bench on a machine without docker-compose: exit 1, one line per missing command, no stack trace', (t) => {
  // An empty PATH: docker-compose, flock, ip and apt-get are not found (node is started by its absolute path).
  const empty = mkdtempSync(join(tmpdir(), 'bench-path-'));
  const r = spawnSync(process.execPath, [join(repo, 'bench', 'run.mjs'), '--smoke'], {
    cwd: repo,
    encoding: 'utf8',
    env: { PATH: empty, HOME: process.env.HOME ?? '/root' },
  });
  t.is(r.status, 1, r.stderr);
  t.regex(r.stderr, /^bench: missing docker-compose \(v1, a peer\): apt-get install -y docker-compose/m);
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  t.true(
    r.stderr
      .trim()
      .split('\n')
      .every((l) => l.startsWith('bench: missing ')),
    r.stderr,
  );
});

test('bad options: one line, exit 1', (t) => {
  for (const [argv, re] of [
    [['--reps', 'x'], /^bench: --reps must be a positive whole number, got x\n$/],
    [['--smoke', '--no-swarm'], /^bench: --smoke runs every phase: drop --no-swarm\n$/],
    [['--nope'], /^bench: Unknown option '--nope'/],
  ] as const) {
    const r = spawnSync(process.execPath, [join(repo, 'bench', 'run.mjs'), ...argv], { cwd: repo, encoding: 'utf8' });
    t.is(r.status, 1, argv.join(' '));
    t.regex(r.stderr, re);
  }
});
