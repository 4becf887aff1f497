/** Webhook verification: GitHub, Gitea (HMAC-SHA256 of the body) and GitLab (token) pushes; anything else refused. */
import test from 'ava';
import { createHmac } from 'node:crypto';
import { verifyWebhook } from '../../../src/gitops/webhook-verify.js';

const secret = Buffer.from('s3cret');
const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: 'a'.repeat(40) }));
const hmac = (key: Buffer | string, data: Buffer) => createHmac('sha256', key).update(data).digest('hex');

test('a GitHub push with a good X-Hub-Signature-256 is a push of its ref', (t) => {
  const v = verifyWebhook(
    { 'x-hub-signature-256': `sha256=${hmac(secret, body)}`, 'x-github-event': 'push' },
    body,
    secret,
  );
  t.deepEqual(v, { kind: 'push', provider: 'github', ref: 'refs/heads/main', after: 'a'.repeat(40) });
});

test('a Gitea push with a good X-Gitea-Signature is a push', (t) => {
  const v = verifyWebhook({ 'x-gitea-signature': hmac(secret, body), 'x-gitea-event': 'push' }, body, secret);
  t.like(v, { kind: 'push', provider: 'gitea', ref: 'refs/heads/main' });
});

test('a GitLab push with the right X-Gitlab-Token is a push; tag pushes too', (t) => {
  t.like(verifyWebhook({ 'x-gitlab-token': 's3cret', 'x-gitlab-event': 'Push Hook' }, body, secret), {
    kind: 'push',
    provider: 'gitlab',
  });
  t.like(verifyWebhook({ 'x-gitlab-token': 's3cret', 'x-gitlab-event': 'Tag Push Hook' }, body, secret), {
    kind: 'push',
  });
});

test('a signature made with another secret, over another body, or malformed is refused', (t) => {
  const other = Buffer.from(JSON.stringify({ ref: 'refs/heads/evil' }));
  for (const headers of [
    { 'x-hub-signature-256': `sha256=${hmac('wrong', body)}` },
    { 'x-hub-signature-256': `sha256=${hmac(secret, other)}` },
    { 'x-hub-signature-256': hmac(secret, body) },
    { 'x-hub-signature-256': 'sha256=zz' },
    { 'x-hub-signature-256': `sha256=${hmac(secret, body).slice(0, 62)}` },
    { 'x-gitea-signature': hmac('wrong', body) },
    { 'x-gitea-signature': '' },
    { 'x-gitlab-token': 's3cre' },
    { 'x-gitlab-token': 's3cret ' },
    {},
  ])
    t.is(verifyWebhook(headers, body, secret).kind, 'refused', JSON.stringify(headers));
});

test('a Gitea signature is checked even when a GitHub one is also present', (t) => {
  const headers = { 'x-gitea-signature': hmac('wrong', body), 'x-hub-signature-256': `sha256=${hmac(secret, body)}` };
  t.is(verifyWebhook(headers, body, secret).kind, 'refused');
});

test('no secret configured refuses everything', (t) => {
  t.is(verifyWebhook({ 'x-hub-signature-256': `sha256=${hmac('', body)}` }, body, Buffer.alloc(0)).kind, 'refused');
});

test('a signed event that is not a push, a body that is not JSON, or one without a ref is ignored', (t) => {
  const ping = Buffer.from('{"zen":"hi"}');
  t.like(
    verifyWebhook({ 'x-hub-signature-256': `sha256=${hmac(secret, ping)}`, 'x-github-event': 'ping' }, ping, secret),
    {
      kind: 'ignored',
      provider: 'github',
    },
  );
  const junk = Buffer.from('not json');
  t.is(verifyWebhook({ 'x-gitea-signature': hmac(secret, junk) }, junk, secret).kind, 'ignored');
  t.is(verifyWebhook({ 'x-gitea-signature': hmac(secret, ping) }, ping, secret).kind, 'ignored');
});
