/** The git commit a stack was applied from: CI variables first, else `git rev-parse HEAD` in the stack's folder. */
import { execFileSync } from 'node:child_process';

const CI_COMMIT_VARIABLES = [
  'GITHUB_SHA',
  'CI_COMMIT_SHA',
  'GIT_COMMIT',
  'BUILDKITE_COMMIT',
  'CIRCLE_SHA1',
  'TRAVIS_COMMIT',
];

export function gitCommit(dir: string, env: Record<string, string | undefined>): string | undefined {
  for (const v of CI_COMMIT_VARIABLES) if (env[v]) return env[v];
  try {
    return (
      execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
        .toString()
        .trim() || undefined
    );
  } catch {
    return undefined;
  }
}
