/**
 * The git commit a stack was applied from: CI variables first, else `git rev-parse HEAD` in the stack's folder. Asked
 * without blocking (the apply starts it before its first operation and reads it when it records the revision), so
 * git's start-up costs the run nothing.
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
