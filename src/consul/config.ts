/**
 * Where Consul is and how to talk to it. Precedence: `--consul` > CONSUL_HTTP_ADDR (with CONSUL_HTTP_TOKEN,
 * CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY) > the inventory's `consul:` > `x-stack.consul` (which the
 * loader keeps only when the operator named no hosts). The token is the operator's: it never goes to an address
 * the stack file chose. Pure: the caller passes the environment, and prints the warnings.
 */
import type { Diagnostic } from '../errors.js';
import type { StackSettings } from '../stack/types.js';

export interface ConsulConfig {
  /** `http://10.77.0.2:8500` or `https://…`, without a trailing slash. */
  address: string;
  token?: string;
  /** PEM file paths for https. */
  tls?: { ca?: string; cert?: string; key?: string };
  /** Where the address came from, for messages. */
  source: '--consul' | 'CONSUL_HTTP_ADDR' | 'inventory' | 'x-stack.consul';
}

/** `10.0.0.2:8500` → `http://10.0.0.2:8500` (or https with CONSUL_HTTP_SSL=true); trailing slashes dropped. */
export function normaliseAddress(address: string, ssl = false): string {
  const text = address.trim().replace(/\/+$/, '');
  return /^https?:\/\//i.test(text) ? text : `${ssl ? 'https' : 'http'}://${text}`;
}

export function resolveConsulConfig(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  stack: Pick<StackSettings, 'consul' | 'consulFrom'> = {},
): ConsulConfig | undefined {
  const ssl = /^(1|true)$/i.test(env.CONSUL_HTTP_SSL ?? '');
  let config: ConsulConfig | undefined;
  if (flag) config = { address: normaliseAddress(flag, ssl), source: '--consul' };
  else if (env.CONSUL_HTTP_ADDR)
    config = { address: normaliseAddress(env.CONSUL_HTTP_ADDR, ssl), source: 'CONSUL_HTTP_ADDR' };
  else if (stack.consul)
    config = {
      address: normaliseAddress(stack.consul),
      source: stack.consulFrom === 'x-stack.consul' ? 'x-stack.consul' : 'inventory',
    };
  if (!config) return undefined;
  if (env.CONSUL_HTTP_TOKEN && config.source !== 'x-stack.consul') config.token = env.CONSUL_HTTP_TOKEN;
  const tls = {
    ca: env.CONSUL_CACERT || undefined,
    cert: env.CONSUL_CLIENT_CERT || undefined,
    key: env.CONSUL_CLIENT_KEY || undefined,
  };
  if (tls.ca || tls.cert || tls.key) config.tls = Object.fromEntries(Object.entries(tls).filter(([, v]) => v));
  return config;
}

/**
 * What the operator should know about the Consul a run uses: x-stack.consul ignored for --consul or
 * CONSUL_HTTP_ADDR, the token withheld from an address the stack file chose, a token sent in clear text.
 */
export function consulWarnings(
  config: ConsulConfig | undefined,
  env: Record<string, string | undefined>,
  stack: Pick<StackSettings, 'consul' | 'consulFrom'> = {},
): Diagnostic[] {
  const warnings: Diagnostic[] = [];
  const warn = (summary: string, hint?: string) =>
    warnings.push({ severity: 'warning', summary, ...(hint ? { hint } : {}) });
  if (stack.consulFrom === 'x-stack.consul' && config && config.source !== 'x-stack.consul')
    warn(`x-stack.consul is ignored: Consul comes from ${config.source}`);
  if (config?.source === 'x-stack.consul' && env.CONSUL_HTTP_TOKEN) {
    warn(
      `CONSUL_HTTP_TOKEN is not sent to ${config.address}: that address comes from the stack file (x-stack.consul)`,
      "to use the token, name Consul yourself: --consul ADDRESS, CONSUL_HTTP_ADDR or the inventory's consul:",
    );
  }
  if (config?.token && config.address.startsWith('http:') && !isLoopback(config.address)) {
    warn(
      `the Consul token is sent over plain http to ${config.address}: anyone on the way can read it`,
      'use https (CONSUL_HTTP_SSL=true or an https:// address, with CONSUL_CACERT)',
    );
  }
  return warnings;
}

function isLoopback(address: string): boolean {
  let host: string;
  try {
    host = new URL(address).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
