/**
 * `stack daemon` for the bench: started on a socket of the bench's own (never the user's default one), ready once it
 * says it listens; its runs are the client's env `STACK_DAEMON_SOCKET`. The other stack runs of a bench pass
 * STACK_NO_DAEMON=1, so that they measure a process of their own whatever daemon the machine has.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const NO_DAEMON = { STACK_NO_DAEMON: '1' };

/** CPU seconds (user + system) a process has used so far (/proc/PID/stat utime + stime, 100 ticks a second). */
function cpuSecondsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * @returns {Promise<{ env: Record<string, string>, log: () => string, cpuSeconds: () => number, stop: () => Promise<void> }>}
 *   `cpuSeconds`: the daemon's own CPU time so far (a served run's CPU is the client's plus the daemon's share).
 */
export async function startDaemon(repo, dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const socket = join(dir, 'd.sock');
  const p = spawn(process.execPath, ['--', 'bin/stack.js', 'daemon', '--socket', socket], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  p.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => p.on('close', resolve));
  await new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (!stderr.includes('listening on')) return;
      clearInterval(poll);
      resolve();
    }, 20);
    void exited.then(() => (clearInterval(poll), reject(new Error(`stack daemon ended: ${stderr.slice(-500)}`))));
  });
  return {
    env: { STACK_DAEMON_SOCKET: socket },
    log: () => stderr,
    cpuSeconds: () => cpuSecondsOf(p.pid),
    stop: async () => {
      p.kill('SIGTERM');
      await exited;
    },
  };
}

/** The outcome the daemon logged for its last request: `exit N` when it ran it, else why it left it to the client. */
export function lastServed(log) {
  const line =
    log
      .trim()
      .split('\n')
      .findLast((l) => /^\d\d:\d\d:\d\d stack /.test(l)) ?? '';
  return /: (exit \d+|left to the client: .*) \(\d+ ms\)$/.exec(line)?.[1] ?? 'nothing logged';
}
