/**
 * The agent's HTTP listener (node:http): POST /webhook takes push events from GitHub, GitLab and Gitea, verified
 * before anything in them is read (webhook-verify.ts); a good push for the watched ref wakes the agent, a bad
 * signature gets 401 and a log line and nothing else. GET /metrics serves Prometheus text, GET /healthz says
 * whether the agent runs. Bodies over 1 MiB are refused (413) without being read further.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AgentLog } from './events.js';
import { refMatches } from './git.js';
import type { AgentMetrics } from './metrics.js';
import { verifyWebhook } from './webhook-verify.js';

export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

export interface ListenerTarget {
  ref: string;
  trigger(): void;
  readonly stopped: boolean;
  readonly cycles: number;
}

export interface ListenerOptions {
  /** The webhook secret; undefined: /webhook answers 404 (no webhooks configured). */
  secret?: Buffer;
  log: AgentLog;
  metrics: AgentMetrics;
}

/** `:9090` → all addresses; `127.0.0.1:9090`, `[::1]:9090`. */
export function parseListen(text: string): { host?: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]*)):([0-9]{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? m[2];
  return host ? { host, port } : { port };
}

function reply(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The body, or undefined when it grew past the limit (the request is answered 413 and dropped). */
function readBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = () => {
      res.setHeader('connection', 'close');
      reply(res, 413, 'body too large\n');
      req.destroy();
      resolve(undefined);
    };
    if (declared > WEBHOOK_BODY_LIMIT) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > WEBHOOK_BODY_LIMIT) return tooLarge();
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

async function webhook(req: IncomingMessage, res: ServerResponse, agent: ListenerTarget, opts: ListenerOptions) {
  if (!opts.secret) return reply(res, 404, 'no webhook secret configured\n');
  const body = await readBody(req, res);
  if (!body) return;
  const verdict = verifyWebhook(req.headers, body, opts.secret);
  switch (verdict.kind) {
    case 'refused':
      opts.metrics.webhook('unknown', 'refused');
      opts.log({ event: 'webhook', provider: 'unknown', outcome: 'refused', reason: verdict.reason });
      return reply(res, 401, 'signature verification failed\n');
    case 'ignored':
      opts.metrics.webhook(verdict.provider, 'ignored');
      opts.log({ event: 'webhook', provider: verdict.provider, outcome: 'ignored', reason: verdict.reason });
      return reply(res, 202, `ignored: ${verdict.reason}\n`);
    case 'push': {
      const ref = verdict.ref.slice(0, 200);
      if (!refMatches(agent.ref, verdict.ref)) {
        opts.metrics.webhook(verdict.provider, 'ignored');
        opts.log({
          event: 'webhook',
          provider: verdict.provider,
          outcome: 'ignored',
          reason: 'not the watched ref',
          ref,
        });
        return reply(res, 202, 'ignored: not the watched ref\n');
      }
      opts.metrics.webhook(verdict.provider, 'accepted');
      opts.log({ event: 'webhook', provider: verdict.provider, outcome: 'accepted', ref });
      agent.trigger();
      return reply(res, 202, 'fetching\n');
    }
  }
}

async function route(req: IncomingMessage, res: ServerResponse, agent: ListenerTarget, opts: ListenerOptions) {
  const url = (req.url ?? '/').split('?')[0];
  if (url === '/webhook' && req.method === 'POST') return webhook(req, res, agent, opts);
  if (url === '/metrics' && req.method === 'GET')
    return reply(res, 200, await opts.metrics.text(), opts.metrics.contentType);
  if (url === '/healthz' && req.method === 'GET') {
    if (agent.stopped) return reply(res, 503, 'stopping\n');
    return reply(res, 200, agent.cycles > 0 ? 'ok\n' : 'starting\n');
  }
  return reply(res, 404, 'not found\n');
}

/** Starts listening; resolves once bound (with the address it is bound to). */
export function listen(
  where: { host?: string; port: number },
  agent: ListenerTarget,
  opts: ListenerOptions,
): Promise<{ server: Server; address: string }> {
  const server = createServer((req, res) => {
    route(req, res, agent, opts).catch(() => {
      if (!res.headersSent) reply(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(where.port, where.host, () => {
      server.off('error', reject);
      const a = server.address();
      const address =
        typeof a === 'string' ? a : a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : '';
      resolve({ server, address });
    });
  });
}
