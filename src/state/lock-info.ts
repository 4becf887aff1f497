/** The lock value: who runs which command where, and the CI job if any. Pure over the passed environment. */
import os from 'node:os';
import type { LockInfo } from './types.js';

/** CI variables that identify a job, first match wins. */
export const CI_JOB_VARIABLES = [
  'GITHUB_RUN_ID',
  'CI_JOB_ID',
  'BUILD_ID',
  'BUILDKITE_JOB_ID',
  'CIRCLE_WORKFLOW_JOB_ID',
  'TRAVIS_JOB_ID',
  'SYSTEM_JOBID',
];

export function ciJobOf(env: Record<string, string | undefined>): string | undefined {
  for (const v of CI_JOB_VARIABLES) if (env[v]) return `${v}=${env[v]}`;
  return undefined;
}

export function userOf(env: Record<string, string | undefined>): string {
  if (env.STACK_USER) return env.STACK_USER;
  try {
    return os.userInfo().username;
  } catch {
    return env.USER ?? 'unknown';
  }
}

export function lockInfo(
  stack: string,
  command: string,
  env: Record<string, string | undefined>,
  now = new Date(),
): LockInfo {
  const info: LockInfo = {
    stack,
    user: userOf(env),
    machine: os.hostname(),
    command,
    since: now.toISOString(),
    pid: process.pid,
  };
  const ci = ciJobOf(env);
  if (ci) info.ciJob = ci;
  return info;
}
