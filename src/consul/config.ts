/**
 * Where Consul is and how to talk to it: one address, or several servers of one cluster (comma-separated, or a list
 * in the inventory). Precedence: `--consul` > CONSUL_HTTP_ADDR (with CONSUL_HTTP_TOKEN,
 * CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY) > the inventory's `consul:` > `x-stack.consul` (which the
 * loader keeps only when the operator named no hosts). The token is the operator's: it never goes to an address
 * the stack file chose. Pure: the caller passes the environment, and prints the warnings.
 */
import type { Diagnostic } from '../errors.js';
import type { StackSettings } from '../stack/types.js';

export interface ConsulConfig {
  /** `http://10.77.0.2:8500` or `https://…`, without a trailing slash: the first server named. */
  address: string;
  /**
   * The other servers of the same cluster, when several were named (`http://a:8500,http://b:8500`, or a list in the
   * inventory): the client moves on to the next when one refuses connections or has no leader.
   */
  fallbacks?: string[];
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

/**
 * One address or several servers of one cluster separated by commas (`a:8500,b:8500`): the first, and the others
 * (duplicates and empty entries dropped) as fallbacks.
 */
export function parseServers(text: string, ssl = false): Pick<ConsulConfig, 'address' | 'fallbacks'> {
  const all = [
    ...new Set(
      text
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean)
        .map((a) => normaliseAddress(a, ssl)),
    ),
  ];
  const [address = normaliseAddress(text, ssl), ...fallbacks] = all;
  return fallbacks.length ? { address, fallbacks } : { address };
}

export function resolveConsulConfig(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  stack: Pick<StackSettings, 'consul' | 'consulFrom'> = {},
): ConsulConfig | undefined {
  const ssl = /^(1|true)$/i.test(env.CONSUL_HTTP_SSL ?? '');
  let config: ConsulConfig | undefined;
  if (flag) config = { ...parseServers(flag, ssl), source: '--consul' };
  else if (env.CONSUL_HTTP_ADDR) config = { ...parseServers(env.CONSUL_HTTP_ADDR, ssl), source: 'CONSUL_HTTP_ADDR' };
  else if (stack.consul)
    config = {
      ...parseServers(stack.consul),
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
  const clear = config?.token ? [config.address, ...(config.fallbacks ?? [])].find(inClearText) : undefined;
  if (clear) {
    warn(
      `the Consul token is sent over plain http to ${clear}: anyone on the way can read it`,
      'use https (CONSUL_HTTP_SSL=true or an https:// address, with CONSUL_CACERT)',
    );
  }
  return warnings;
}

const inClearText = (address: string) => address.startsWith('http:') && !isLoopback(address);

function isLoopback(address: string): boolean {
  let host: string;
  try {
    host = new URL(address).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
