/**
 * The git commit a stack was applied from: CI variables first, else `git rev-parse HEAD` in the stack's folder. Asked
 * without blocking (gitCommitLater: the apply starts it once its first writes are on their way and reads it when it
 * records the revision), so git's start-up costs the run nothing.
 */
import { execFile } from 'node:child_process';

const CI_COMMIT_VARIABLES = [
  'GITHUB_SHA',
  'CI_COMMIT_SHA',
  'GIT_COMMIT',
  'BUILDKITE_COMMIT',
  'CIRCLE_SHA1',
  'TRAVIS_COMMIT',
];

export function gitCommit(dir: string, env: Record<string, string | undefined>): Promise<string | undefined> {
  for (const v of CI_COMMIT_VARIABLES) if (env[v]) return Promise.resolve(env[v]);
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', 'HEAD'], { cwd: dir, timeout: 5000 }, (err, stdout) =>
      resolve(err ? undefined : stdout.trim() || undefined),
    );
  });
}

/** Spawning git takes a few milliseconds of this process's CPU: this long after the apply starts, its first writes are out. */
export const GIT_ASK_DELAY_MS = 100;

/**
 * gitCommit, asked `delayMs` from now or at once when its answer is wanted sooner (an apply shorter than that):
 * the child process is not spawned on the way to the apply's first writes. The answer is asked for once.
 */
export function gitCommitLater(
  dir: string,
  env: Record<string, string | undefined>,
  delayMs = GIT_ASK_DELAY_MS,
): () => Promise<string | undefined> {
  let asked: Promise<string | undefined> | undefined;
  const timer = setTimeout(() => void (asked ??= gitCommit(dir, env)), delayMs);
  timer.unref();
  return () => {
    clearTimeout(timer);
    return (asked ??= gitCommit(dir, env));
  };
}
