import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { gitCommit, gitCommitLater } from '../../../src/state/git-commit.js';

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, encoding: 'utf8' }).trim();

function repo(t: { teardown: (f: () => void) => void }): { dir: string; commit: () => string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'stack-git-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  git(dir, 'init', '-q');
  let n = 0;
  return {
    dir,
    commit: () => {
      writeFileSync(path.join(dir, 'f'), String(++n));
      git(dir, 'add', 'f');
      git(dir, 'commit', '-qm', `c${n}`);
      return git(dir, 'rev-parse', 'HEAD');
    },
  };
}

test('gitCommit: a CI variable first, else HEAD of the folder, else nothing', async (t) => {
  const r = repo(t);
  const head = r.commit();
  t.is(await gitCommit(r.dir, { GITHUB_SHA: 'abc' }), 'abc');
  t.is(await gitCommit(r.dir, {}), head);
  const bare = mkdtempSync(path.join(tmpdir(), 'stack-nogit-'));
  t.teardown(() => rmSync(bare, { recursive: true, force: true }));
  t.is(await gitCommit(bare, { GIT_CEILING_DIRECTORIES: tmpdir() }), undefined);
});

test('gitCommitLater: asked once its delay has passed, not when it is created; at once when wanted sooner', async (t) => {
  const r = repo(t);
  r.commit();
  const later = gitCommitLater(r.dir, {}, 1000);
  const second = r.commit(); // made before the delay is up: an answer asked at creation would be the first commit
  await new Promise((resolve) => setTimeout(resolve, 4000)); // git was asked at 1 s and has answered by now
  r.commit();
  t.is(await later(), second, 'asked at the delay: neither at creation nor when wanted');

  const now = r.commit();
  const soon = gitCommitLater(r.dir, {}, 60_000);
  t.is(await soon(), now, 'wanted before the delay: asked at once');
  t.is(await soon(), now, 'and only once');
});
