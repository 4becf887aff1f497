/** Where Consul is: --consul > CONSUL_HTTP_ADDR > the inventory; token and TLS from the environment. */
import test from 'ava';
import { normaliseAddress, resolveConsulConfig } from '../../../src/consul/config.js';

test('no flag, no variable, no inventory entry: no Consul (the local state directory is used)', (t) => {
  t.is(resolveConsulConfig(undefined, {}, undefined), undefined);
});

test('precedence: --consul wins over CONSUL_HTTP_ADDR, which wins over the inventory', (t) => {
  const env = { CONSUL_HTTP_ADDR: '10.0.0.5:8500' };
  t.deepEqual(resolveConsulConfig('http://flag:8500/', env, 'http://inv:8500'), { address: 'http://flag:8500', source: '--consul' });
  t.deepEqual(resolveConsulConfig(undefined, env, 'http://inv:8500'), { address: 'http://10.0.0.5:8500', source: 'CONSUL_HTTP_ADDR' });
  t.deepEqual(resolveConsulConfig(undefined, {}, 'http://inv:8500'), { address: 'http://inv:8500', source: 'inventory' });
});

test('token and TLS files come from the environment whatever the address source', (t) => {
  const env = { CONSUL_HTTP_TOKEN: 'tok', CONSUL_CACERT: '/ca.pem', CONSUL_CLIENT_CERT: '/c.pem', CONSUL_CLIENT_KEY: '/k.pem' };
  t.deepEqual(resolveConsulConfig(undefined, env, 'https://inv:8501'), { address: 'https://inv:8501', source: 'inventory', token: 'tok', tls: { ca: '/ca.pem', cert: '/c.pem', key: '/k.pem' } });
});

test('an address without a scheme is http, or https with CONSUL_HTTP_SSL=true', (t) => {
  t.is(normaliseAddress('consul:8500'), 'http://consul:8500');
  t.is(normaliseAddress('consul:8501', true), 'https://consul:8501');
  t.is(resolveConsulConfig(undefined, { CONSUL_HTTP_ADDR: 'c:8501', CONSUL_HTTP_SSL: 'true' }, undefined)?.address, 'https://c:8501');
});
