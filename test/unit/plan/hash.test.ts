import test from 'ava';
import { serviceConfig } from '../../../src/plan/config.js';
import { PUBLIC_TEST_KEY } from '../../../src/sensitive.js';
import { containerCreateBody } from '../../../src/plan/engine.js';
import { desired, service, DIGEST, DIGEST2 } from './helpers.js';

const hashOf = (s: ReturnType<typeof service>, digest = DIGEST) =>
  serviceConfig(desired([s]), s, digest, PUBLIC_TEST_KEY).hash;

test('key order does not change the hash', (t) => {
  const a = service('web', {
    environment: { A: '1', B: '2' },
    labels: { x: '1', y: '2' },
    sysctls: { 'net.core.somaxconn': '1024', 'net.ipv4.tcp_syncookies': '0' },
  });
  const b = service('web', {
    environment: { B: '2', A: '1' },
    labels: { y: '2', x: '1' },
    sysctls: { 'net.ipv4.tcp_syncookies': '0', 'net.core.somaxconn': '1024' },
  });
  t.is(hashOf(a), hashOf(b));
});

test('list order of caps and exposes does not change the hash; command order does', (t) => {
  t.is(
    hashOf(service('w', { capAdd: ['NET_ADMIN', 'SYS_TIME'], expose: ['80', '81'] })),
    hashOf(service('w', { capAdd: ['SYS_TIME', 'NET_ADMIN'], expose: ['81', '80'] })),
  );
  t.not(hashOf(service('w', { command: ['a', 'b'] })), hashOf(service('w', { command: ['b', 'a'] })));
});

test('defaults and empty values: explicit false/empty equals absent', (t) => {
  t.is(hashOf(service('w', { privileged: false, labels: {}, tmpfs: {} })), hashOf(service('w')));
  t.is(hashOf(service('w', { image: 'busybox' })), hashOf(service('w', { image: 'busybox:latest' })));
});

test('replicas, placement, depends_on, update_config and pull_policy are left out', (t) => {
  const base = hashOf(service('w'));
  t.is(hashOf(service('w', { deploy: { replicas: 7 } })), base);
  t.is(
    hashOf(service('w', { deploy: { constraints: [{ field: 'node.hostname', op: '==', value: 'h1', text: 'x' }] } })),
    base,
  );
  t.is(
    hashOf(service('w', { dependsOn: { db: { condition: 'service_started', required: true, restart: false } } })),
    base,
  );
  t.is(hashOf(service('w', { pullPolicy: 'always' })), base);
});

test('the image digest is part of the hash', (t) => {
  t.not(hashOf(service('w'), DIGEST), hashOf(service('w'), DIGEST2));
});

test('the hash is stable across releases (pinned value)', (t) => {
  t.snapshot(hashOf(service('web', { environment: { RELEASE: 'v1' } })));
});

test('dns_opt is in the hash and reaches HostConfig.DnsOptions; none leaves the hash of a service as it was', (t) => {
  const plain = service('w');
  const withOpts = service('w', { dnsOpt: ['ndots:1', 'timeout:2'] });
  t.is(hashOf(service('w', { dnsOpt: [] })), hashOf(plain), 'containers made before dns_opt existed are not replaced');
  t.not(hashOf(withOpts), hashOf(plain));
  t.not(hashOf(withOpts), hashOf(service('w', { dnsOpt: ['ndots:2', 'timeout:2'] })));
  const sc = serviceConfig(desired([withOpts]), withOpts, DIGEST, PUBLIC_TEST_KEY);
  t.deepEqual(sc.config.dnsOpt, ['ndots:1', 'timeout:2']);
  const body = containerCreateBody(sc.config, {
    stack: 'app',
    service: 'w',
    slot: '1',
    hash: sc.hash,
    json: sc.json,
    bundles: [],
    environment: sc.environment,
  }) as { HostConfig: Record<string, unknown> };
  t.deepEqual(body.HostConfig.DnsOptions, ['ndots:1', 'timeout:2']);
  const none = serviceConfig(desired([plain]), plain, DIGEST, PUBLIC_TEST_KEY);
  t.false(
    'DnsOptions' in
      (
        containerCreateBody(none.config, {
          stack: 'app',
          service: 'w',
          slot: '1',
          hash: none.hash,
          json: none.json,
          bundles: [],
          environment: none.environment,
        }) as { HostConfig: object }
      ).HostConfig,
  );
});
