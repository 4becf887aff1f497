/** Which pushed refs the watched ref matches, and URLs' credentials masked in messages. */
import test from 'ava';
import { isPattern, maskUrl, refMatches } from '../../../src/gitops/git.js';

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
