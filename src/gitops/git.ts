/**
 * The watched repository, through the system `git` run with argv (never a shell): one local clone per agent,
 * fetched from the operator's URL (any URL git understands: https, ssh, git, file), resolved to a commit for the
 * watched ref, checked out detached and cleaned. The repository's own hooks never run (core.hooksPath is
 * /dev/null) and git never prompts (GIT_TERMINAL_PROMPT=0); credentials come from the operator's environment
 * (an ssh agent, GIT_SSH_COMMAND, a credential helper) and are masked out of every message.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { MASK } from '../sensitive.js';

const GIT_TIMEOUT_MS = 5 * 60_000;

export class GitError extends Error {}

/** A URL's user:password@ shown as (sensitive). */
export function maskUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, `$1${MASK}@`);
}

/** A ref with * or ? is a tag pattern (the newest tag by version order wins); else a branch, then a tag, by that name. */
export function isPattern(ref: string): boolean {
  return /[*?]/.test(ref);
}

/** The full ref a webhook's push names matches the watched one (refs/heads/main for main, refs/tags/v1.2 for v*). */
export function refMatches(watched: string, pushed: string): boolean {
  if (!isPattern(watched)) return pushed === `refs/heads/${watched}` || pushed === `refs/tags/${watched}`;
  if (!pushed.startsWith('refs/tags/')) return false;
  const re = new RegExp(
    `^${watched
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(pushed.slice('refs/tags/'.length));
}

export class GitRepo {
  constructor(
    private readonly url: string,
    /** The local clone (created on first fetch). */
    readonly dir: string,
    private readonly env: Record<string, string | undefined>,
  ) {}

  /** Fetches every branch and tag from the URL (a first call makes the clone). */
  async fetch(): Promise<void> {
    if (!existsSync(path.join(this.dir, '.git'))) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      await this.git(['init', '--quiet', this.dir], path.dirname(this.dir));
    }
    await this.git(['config', 'remote.origin.url', this.url]);
    await this.git([
      'fetch',
      '--quiet',
      '--prune',
      '--force',
      '--no-recurse-submodules',
      'origin',
      '+refs/heads/*:refs/remotes/origin/*',
      '+refs/tags/*:refs/tags/*',
    ]);
  }

  /** The commit the watched ref points at now, with the ref it came from; undefined when nothing matches. */
  async resolve(ref: string): Promise<{ commit: string; ref: string } | undefined> {
    if (isPattern(ref)) {
      const out = await this.git(['for-each-ref', '--sort=-v:refname', '--format=%(refname)', `refs/tags/${ref}`]);
      const newest = out.split('\n').find(Boolean);
      return newest ? { commit: await this.commitOf(newest), ref: newest } : undefined;
    }
    for (const full of [`refs/remotes/origin/${ref}`, `refs/tags/${ref}`]) {
      const commit = await this.commitOf(full).catch(() => undefined);
      if (commit) return { commit, ref: full.replace('refs/remotes/origin/', 'refs/heads/') };
    }
    return undefined;
  }

  /** The working tree at `commit`, exactly: checked out detached, every other file removed. */
  async checkout(commit: string): Promise<void> {
    await this.git(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--force', '--detach', commit]);
    await this.git(['clean', '-ffdxq']);
  }

  /** The commit's subject line, for the log. */
  async subject(commit: string): Promise<string> {
    return (await this.git(['log', '-1', '--format=%s', commit])).trim().slice(0, 200);
  }

  private async commitOf(ref: string): Promise<string> {
    return (await this.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim();
  }

  private git(args: string[], cwd = this.dir): Promise<string> {
    const argv = ['-c', 'core.hooksPath=/dev/null', '-c', 'protocol.ext.allow=never', ...args];
    return new Promise((resolve, reject) => {
      execFile(
        'git',
        argv,
        {
          cwd,
          env: { ...this.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
          timeout: GIT_TIMEOUT_MS,
          maxBuffer: 16 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          if (!err) return resolve(stdout);
          const why = (stderr || err.message).trim().split('\n').slice(-3).join('; ');
          reject(new GitError(maskUrl(`git ${args[0]} failed: ${why}`)));
        },
      );
    });
  }
}
