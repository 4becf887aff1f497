/**
 * Runs every hostile input (bench/hostile-cases.mjs) through `node -- bin/stack.js validate` as a user would, under
 * /usr/bin/time -v, and prints per case: exit code, wall and CPU time, peak RSS, the error line it expects, and
 * whether it met the goal (exit 1 with that error, within 2 s wall and 200 MB). Needs `npm run build` first.
 * On a loaded machine wall time overstates the cost: CPU time (user + system) is the steadier figure.
 *
 *   node bench/hostile.mjs [--timeout SECONDS] [CASE…]
 *
 * Timing is measured here, never asserted in tests. The process of a case that runs past --timeout (default 120 s)
 * is killed and reported as such.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HOSTILE_CASES, materialise } from './hostile-cases.mjs';

const GOAL_SECONDS = 2;
const GOAL_MB = 200;
const bin = fileURLToPath(new URL('../bin/stack.js', import.meta.url));

function parseArgs(argv) {
  let timeout = 120;
  const names = new Set();
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--timeout') timeout = Number(argv[++i]);
    else names.add(argv[i]);
  }
  return { timeout, names };
}

function runCase(hostile, timeout) {
  const dir = materialise(hostile);
  try {
    const args = ['-v', process.execPath, '--', bin, 'validate', ...(hostile.args ?? [])];
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: '/nonexistent',
      NO_COLOR: '1',
      DOCKER_HOST: 'unix:///nonexistent.sock',
    };
    const result = spawnSync('/usr/bin/time', args, {
      cwd: dir,
      encoding: 'utf8',
      env,
      timeout: timeout * 1000,
      killSignal: 'SIGKILL',
      maxBuffer: 64 << 20,
    });
    const stderr = result.stderr ?? '';
    const seconds = elapsed(stderr);
    const rssMb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? NaN) / 1024;
    const exit = Number(/Exit status: (\d+)/.exec(stderr)?.[1] ?? NaN);
    const errors = stderr.split('\n').filter((l) => l.startsWith('error: '));
    const killed = result.error !== undefined || result.signal !== null;
    const match = errors.find((l) => hostile.expect.test(l));
    const clear = exit === 1 && match !== undefined && !/\n\s+at .+:\d+:\d+\)?\n/.test(stderr);
    const cpu =
      Number(/User time \(seconds\): ([\d.]+)/.exec(stderr)?.[1] ?? NaN) +
      Number(/System time \(seconds\): ([\d.]+)/.exec(stderr)?.[1] ?? NaN);
    const ok = !killed && clear && seconds <= GOAL_SECONDS && rssMb <= GOAL_MB;
    return {
      name: hostile.name,
      attack: hostile.attack,
      exit: killed ? 'killed' : exit,
      seconds,
      cpu,
      rssMb,
      message: match ?? errors[0] ?? firstLine(stderr),
      ok,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function elapsed(stderr) {
  const match = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(stderr);
  if (!match) return NaN;
  return Number(match[1] ?? 0) * 3600 + Number(match[2]) * 60 + Number(match[3]);
}

function firstLine(text) {
  return text.split('\n').find((l) => l.trim() && !l.startsWith('\t')) ?? '';
}

function main() {
  const { timeout, names } = parseArgs(process.argv.slice(2));
  const cases = HOSTILE_CASES.filter((c) => !names.size || names.has(c.name));
  const rows = [];
  for (const hostile of cases) {
    const row = runCase(hostile, timeout);
    rows.push(row);
    const time = Number.isNaN(row.seconds) ? '   ?  ' : `${row.seconds.toFixed(2).padStart(6)}s`;
    const cpu = Number.isNaN(row.cpu) ? '   ?  ' : `${row.cpu.toFixed(2).padStart(6)}s`;
    const rss = Number.isNaN(row.rssMb) ? '    ? ' : `${row.rssMb.toFixed(0).padStart(5)}MB`;
    process.stdout.write(
      `${row.ok ? 'ok  ' : 'FAIL'} ${row.name.padEnd(24)} exit ${String(row.exit).padEnd(6)} wall ${time} cpu ${cpu} ${rss}  ${row.message.slice(0, 150)}\n`,
    );
  }
  const failed = rows.filter((r) => !r.ok).length;
  process.stdout.write(
    `\n${rows.length - failed} of ${rows.length} cases met the goal (exit 1, one clear error, ≤ ${GOAL_SECONDS} s, ≤ ${GOAL_MB} MB)\n`,
  );
  process.exitCode = failed ? 1 : 0;
}

main();
