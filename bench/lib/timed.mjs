/**
 * A child process timed from spawn to exit (wall), with its CPU time (user + system). CPU time is steadier than
 * wall time on a busy machine; run one child at a time, as it is read from this process's children's total.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU seconds of every child this process has waited for (/proc/self/stat cutime + cstime, 100 ticks a second). */
export function childrenCpuSeconds() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  // After "(comm) " the state is index 0, so cutime (field 16 of proc(5)) is index 13 and cstime index 14.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/**
 * Runs `cmd argv` with piped output; resolves with wall seconds, CPU seconds and the output, rejects on a non-zero
 * exit with the command and the end of its stderr.
 * @returns {Promise<{ seconds: number, cpuSeconds: number, stdout: string, stderr: string }>}
 */
export function timed(cmd, argv, { cwd, env } = {}) {
  return new Promise((resolve, reject) => {
    const cpu0 = childrenCpuSeconds();
    const t0 = process.hrtime.bigint();
    const p = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpuSeconds = childrenCpuSeconds() - cpu0;
      if (code !== 0) reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`));
      else resolve({ seconds, cpuSeconds, stdout, stderr });
    });
  });
}
