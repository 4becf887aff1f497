/** Where Consul is: --consul > CONSUL_HTTP_ADDR > the inventory > x-stack.consul; token and TLS from the environment, the token never to the stack file's address. */
import test from 'ava';
import { consulWarnings, normaliseAddress, parseServers, resolveConsulConfig } from '../../../src/consul/config.js';

const inventory = (consul: string) => ({ consul, consulFrom: 'inventory' as const });
const xStack = (consul: string) => ({ consul, consulFrom: 'x-stack.consul' as const });

test('no flag, no variable, no inventory entry: no Consul (the local state directory is used)', (t) => {
  t.is(resolveConsulConfig(undefined, {}, {}), undefined);
  t.is(resolveConsulConfig(undefined, {}), undefined);
});

test('precedence: --consul wins over CONSUL_HTTP_ADDR, which wins over the inventory, which (in the loader) excludes x-stack.consul', (t) => {
  const env = { CONSUL_HTTP_ADDR: '10.0.0.5:8500' };
  t.deepEqual(resolveConsulConfig('http://flag:8500/', env, inventory('http://inv:8500')), {
    address: 'http://flag:8500',
    source: '--consul',
  });
  t.deepEqual(resolveConsulConfig(undefined, env, inventory('http://inv:8500')), {
    address: 'http://10.0.0.5:8500',
    source: 'CONSUL_HTTP_ADDR',
  });
  t.deepEqual(resolveConsulConfig(undefined, {}, inventory('http://inv:8500')), {
    address: 'http://inv:8500',
    source: 'inventory',
  });
  t.deepEqual(resolveConsulConfig(undefined, {}, { consul: 'http://hand-made:8500' }), {
    address: 'http://hand-made:8500',
    source: 'inventory',
  });
  t.deepEqual(resolveConsulConfig(undefined, {}, xStack('http://file:8500')), {
    address: 'http://file:8500',
    source: 'x-stack.consul',
  });
  t.deepEqual(resolveConsulConfig('http://flag:8500', {}, xStack('http://file:8500'))?.source, '--consul');
  t.deepEqual(resolveConsulConfig(undefined, env, xStack('http://file:8500'))?.source, 'CONSUL_HTTP_ADDR');
});

test('token and TLS files come from the environment; the token never goes to an address the stack file chose', (t) => {
  const env = {
    CONSUL_HTTP_TOKEN: 'tok',
    CONSUL_CACERT: '/ca.pem',
    CONSUL_CLIENT_CERT: '/c.pem',
    CONSUL_CLIENT_KEY: '/k.pem',
  };
  t.deepEqual(resolveConsulConfig(undefined, env, inventory('https://inv:8501')), {
    address: 'https://inv:8501',
    source: 'inventory',
    token: 'tok',
    tls: { ca: '/ca.pem', cert: '/c.pem', key: '/k.pem' },
  });
  t.deepEqual(resolveConsulConfig(undefined, env, xStack('https://file:8501')), {
    address: 'https://file:8501',
    source: 'x-stack.consul',
    tls: { ca: '/ca.pem', cert: '/c.pem', key: '/k.pem' },
  });
  t.is(
    resolveConsulConfig(undefined, { ...env, CONSUL_HTTP_ADDR: 'https://op:8501' }, xStack('https://file:8501'))?.token,
    'tok',
  );
});

test('an address without a scheme is http, or https with CONSUL_HTTP_SSL=true', (t) => {
  t.is(normaliseAddress('consul:8500'), 'http://consul:8500');
  t.is(normaliseAddress('consul:8501', true), 'https://consul:8501');
  t.is(
    resolveConsulConfig(undefined, { CONSUL_HTTP_ADDR: 'c:8501', CONSUL_HTTP_SSL: 'true' }, {})?.address,
    'https://c:8501',
  );
});

test("warnings: x-stack.consul ignored for the operator's Consul, the token withheld from it, a token over plain http to a non-loopback address", (t) => {
  const summaries = (flag: string | undefined, env: Record<string, string>, stack = {}) =>
    consulWarnings(resolveConsulConfig(flag, env, stack), env, stack).map((d) => d.summary);
  t.deepEqual(summaries('http://127.0.0.1:8500', {}, xStack('http://file:8500')), [
    'x-stack.consul is ignored: Consul comes from --consul',
  ]);
  t.deepEqual(summaries(undefined, { CONSUL_HTTP_TOKEN: 'tok' }, xStack('http://file:8500')), [
    'CONSUL_HTTP_TOKEN is not sent to http://file:8500: that address comes from the stack file (x-stack.consul)',
  ]);
  t.deepEqual(summaries(undefined, { CONSUL_HTTP_TOKEN: 'tok', CONSUL_HTTP_ADDR: '10.0.0.5:8500' }), [
    'the Consul token is sent over plain http to http://10.0.0.5:8500: anyone on the way can read it',
  ]);
  t.deepEqual(summaries(undefined, { CONSUL_HTTP_TOKEN: 'tok' }, inventory('http://consul.example:8500')).length, 1);
  for (const local of ['http://127.0.0.1:8500', 'http://localhost:8500', 'http://[::1]:8500', 'https://10.0.0.5:8501'])
    t.deepEqual(summaries(local, { CONSUL_HTTP_TOKEN: 'tok' }), [], local);
  t.deepEqual(summaries(undefined, { CONSUL_HTTP_ADDR: '10.0.0.5:8500' }), [], 'no token, nothing to leak');
});

test('several servers of one cluster: comma-separated in --consul, CONSUL_HTTP_ADDR or the inventory; the first is the address, the others fallbacks', (t) => {
  t.deepEqual(resolveConsulConfig('a:8500, b:8500,,a:8500/', {}, {}), {
    address: 'http://a:8500',
    fallbacks: ['http://b:8500'],
    source: '--consul',
  });
  t.deepEqual(resolveConsulConfig(undefined, { CONSUL_HTTP_ADDR: 'a:8501,b:8501', CONSUL_HTTP_SSL: 'true' }, {}), {
    address: 'https://a:8501',
    fallbacks: ['https://b:8501'],
    source: 'CONSUL_HTTP_ADDR',
  });
  t.deepEqual(resolveConsulConfig(undefined, {}, inventory('http://a:8500,http://b:8500,http://c:8500')), {
    address: 'http://a:8500',
    fallbacks: ['http://b:8500', 'http://c:8500'],
    source: 'inventory',
  });
  t.deepEqual(parseServers('http://only:8500'), { address: 'http://only:8500' });
});

test('a token bound for any of the servers over plain http is warned about, naming that server', (t) => {
  const env = { CONSUL_HTTP_TOKEN: 'tok' };
  const config = resolveConsulConfig(undefined, env, inventory('http://127.0.0.1:8500,http://10.0.0.9:8500'));
  t.deepEqual(
    consulWarnings(config, env, inventory('')).map((w) => w.summary),
    ['the Consul token is sent over plain http to http://10.0.0.9:8500: anyone on the way can read it'],
  );
});
