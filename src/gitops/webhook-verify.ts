/**
 * Verifies a push webhook from GitHub (X-Hub-Signature-256: sha256=HMAC-SHA256(body)), Gitea (X-Gitea-Signature:
 * HMAC-SHA256(body) in hex) or GitLab (X-Gitlab-Token: the secret itself), always with a constant-time compare
 * (crypto.timingSafeEqual) over equal-length digests. Pure: headers and body in, a verdict out. Nothing in a body
 * is read before its signature is found good; a good push names the ref it moved, which the agent compares
 * with its own (it never fetches a ref a webhook names).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type Provider = 'github' | 'gitea' | 'gitlab';

export type WebhookVerdict =
  | { kind: 'push'; provider: Provider; ref: string; after?: string }
  | { kind: 'ignored'; provider: Provider; reason: string }
  | { kind: 'refused'; reason: string };

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function hmacHex(secret: Buffer, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/** A hex HMAC from a header against the one computed: false for anything that is not 64 hex digits. */
function sameHmac(given: string, secret: Buffer, body: Buffer): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(given, 'hex'), hmacHex(secret, body));
}

/** A token compared through digests of equal length, so neither its length nor its bytes leak through timing. */
function sameToken(given: string, secret: Buffer): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

/** Which provider signed it, and whether the signature holds. */
function authenticate(headers: Headers, body: Buffer, secret: Buffer): Provider | { refused: string } {
  const gitea = header(headers, 'x-gitea-signature');
  if (gitea !== undefined) return sameHmac(gitea.trim(), secret, body) ? 'gitea' : { refused: 'bad X-Gitea-Signature' };
  const github = header(headers, 'x-hub-signature-256');
  if (github !== undefined) {
    const m = /^sha256=(.*)$/.exec(github.trim());
    return m && sameHmac(m[1], secret, body) ? 'github' : { refused: 'bad X-Hub-Signature-256' };
  }
  const gitlab = header(headers, 'x-gitlab-token');
  if (gitlab !== undefined) return sameToken(gitlab, secret) ? 'gitlab' : { refused: 'bad X-Gitlab-Token' };
  return { refused: 'no X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token header' };
}

function eventOf(headers: Headers, provider: Provider): string | undefined {
  switch (provider) {
    case 'github':
      return header(headers, 'x-github-event');
    case 'gitea':
      return header(headers, 'x-gitea-event') ?? header(headers, 'x-github-event');
    case 'gitlab':
      return header(headers, 'x-gitlab-event');
  }
}

const PUSH_EVENTS = new Set(['push', 'Push Hook', 'Tag Push Hook']);

export function verifyWebhook(headers: Headers, body: Buffer, secret: Buffer): WebhookVerdict {
  if (secret.length === 0) return { kind: 'refused', reason: 'no webhook secret is configured' };
  const provider = authenticate(headers, body, secret);
  if (typeof provider !== 'string') return { kind: 'refused', reason: provider.refused };
  const event = eventOf(headers, provider);
  if (event !== undefined && !PUSH_EVENTS.has(event))
    return { kind: 'ignored', provider, reason: `event ${event.slice(0, 40)} is not a push` };
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    return { kind: 'ignored', provider, reason: 'the body is not JSON' };
  }
  const p = payload as { ref?: unknown; after?: unknown } | null;
  if (!p || typeof p.ref !== 'string') return { kind: 'ignored', provider, reason: 'the payload names no ref' };
  return {
    kind: 'push',
    provider,
    ref: p.ref,
    ...(typeof p.after === 'string' && /^[0-9a-f]{40,64}$/.test(p.after) ? { after: p.after } : {}),
  };
}
