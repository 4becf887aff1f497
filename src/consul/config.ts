/**
 * Where Consul is and how to talk to it. Precedence: `--consul` > CONSUL_HTTP_ADDR (with CONSUL_HTTP_TOKEN,
 * CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY) > the inventory's `consul:` / `x-stack.consul`.
 * Pure: the caller passes the environment.
 */

export interface ConsulConfig {
  /** `http://10.77.0.2:8500` or `https://…`, without a trailing slash. */
  address: string;
  token?: string;
  /** PEM file paths for https. */
  tls?: { ca?: string; cert?: string; key?: string };
  /** Where the address came from, for messages. */
  source: '--consul' | 'CONSUL_HTTP_ADDR' | 'inventory';
}

/** `10.0.0.2:8500` → `http://10.0.0.2:8500` (or https with CONSUL_HTTP_SSL=true); trailing slashes dropped. */
export function normaliseAddress(address: string, ssl = false): string {
  const text = address.trim().replace(/\/+$/, '');
  return /^https?:\/\//i.test(text) ? text : `${ssl ? 'https' : 'http'}://${text}`;
}

export function resolveConsulConfig(flag: string | undefined, env: Record<string, string | undefined>, fromStack: string | undefined): ConsulConfig | undefined {
  const ssl = /^(1|true)$/i.test(env.CONSUL_HTTP_SSL ?? '');
  let config: ConsulConfig | undefined;
  if (flag) config = { address: normaliseAddress(flag, ssl), source: '--consul' };
  else if (env.CONSUL_HTTP_ADDR) config = { address: normaliseAddress(env.CONSUL_HTTP_ADDR, ssl), source: 'CONSUL_HTTP_ADDR' };
  else if (fromStack) config = { address: normaliseAddress(fromStack), source: 'inventory' };
  if (!config) return undefined;
  if (env.CONSUL_HTTP_TOKEN) config.token = env.CONSUL_HTTP_TOKEN;
  const tls = { ca: env.CONSUL_CACERT || undefined, cert: env.CONSUL_CLIENT_CERT || undefined, key: env.CONSUL_CLIENT_KEY || undefined };
  if (tls.ca || tls.cert || tls.key) config.tls = Object.fromEntries(Object.entries(tls).filter(([, v]) => v)) as ConsulConfig['tls'];
  return config;
}
