/** Which pushed refs the watched ref matches, URLs' credentials masked in messages, and the clone over a real bare repository. */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitRepo, isPattern, maskUrl, refMatches } from '../../../src/gitops/git.js';

test('a branch matches its refs/heads and refs/tags name only', (t) => {
  t.true(refMatches('main', 'refs/heads/main'));
  t.true(refMatches('release/1', 'refs/heads/release/1'));
  t.false(refMatches('main', 'refs/heads/main2'));
  t.false(refMatches('main', 'refs/heads/feature/main'));
});

test('a pattern matches tags only, as a glob', (t) => {
  t.true(isPattern('v*'));
  t.true(refMatches('v*', 'refs/tags/v1.2.3'));
  t.false(refMatches('v*', 'refs/heads/v1'));
  t.false(refMatches('v1.*', 'refs/tags/v1x2'));
  t.true(refMatches('v1.?', 'refs/tags/v1.5'));
});

test('user:password@ in a URL is masked', (t) => {
  t.is(
    maskUrl('git fetch failed: https://bot:ghp_abc@github.com/o/r.git not found'),
    'git fetch failed: https://(sensitive)@github.com/o/r.git not found',
  );
  t.is(maskUrl('file:///srv/git/r.git'), 'file:///srv/git/r.git');
});

test('GitRepo over file://: a branch resolves to its head, a tag pattern to the newest tag by version, checkout is exact', async (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'stack-gitrepo-'));
  const bare = path.join(root, 'origin.git');
  const work = path.join(root, 'work');
  const git = (args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: work })
      .toString()
      .trim();
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', work]);
  const commits: Record<string, string> = {};
  for (const v of ['v1.2', 'v1.10', 'v1.9']) {
    writeFileSync(path.join(work, 'f'), v);
    git(['add', '-A']);
    git(['commit', '--quiet', '-m', v]);
    git(['tag', '-a', '-m', v, v]);
    commits[v] = git(['rev-parse', 'HEAD']);
  }
  git(['push', '--quiet', '--follow-tags', bare, 'main']);
  const repo = new GitRepo(`file://${bare}`, path.join(root, 'clone'), { PATH: process.env.PATH });
  await repo.fetch();
  t.deepEqual(await repo.resolve('main'), { commit: commits['v1.9'], ref: 'refs/heads/main' });
  t.deepEqual(await repo.resolve('v1.*'), { commit: commits['v1.10'], ref: 'refs/tags/v1.10' });
  t.is(await repo.resolve('v2.*'), undefined);
  t.is(await repo.resolve('nope'), undefined);
  await repo.checkout(commits['v1.2']);
  writeFileSync(path.join(repo.dir, 'left-behind'), 'x');
  await repo.checkout(commits['v1.10']);
  t.is(readFileSync(path.join(repo.dir, 'f'), 'utf8'), 'v1.10');
  t.false(existsSync(path.join(repo.dir, 'left-behind')));
  await t.throwsAsync(new GitRepo('file:///nonexistent/r.git', path.join(root, 'c2'), {}).fetch(), {
    message: /git fetch failed/,
  });
});
