/**
 * Who decides: without `policy:` (or with mode: warn) a violation is a warning and the stack loads; with mode:
 * enforce it is an error. Only the operator's inventory carries a policy: nothing in a stack file affects it.
 */
import test from 'ava';
import { formatLocation } from '../../../../src/errors.js';
import { load } from '../helpers.js';
import { HOSTS, loadWithPolicy, stack, violations } from './helpers.js';

const PRIVILEGED = stack('  web:\n    image: busybox\n    privileged: true\n  api:\n    image: busybox\n');

test('without policy: in the inventory, a violation is a warning that says so, and the stack loads', async (t) => {
  const r = await loadWithPolicy(PRIVILEGED);
  const [d] = violations(r);
  t.is(d.severity, 'warning');
  t.regex(
    d.hint!,
    /^no policy: is set \(it lives in the operator's inventory, -i\), so every rule only warns; with mode: enforce this would be refused/,
  );
  t.truthy(r.value);
  t.deepEqual(r.value!.policy!.diagnostics, [d]);
  t.is(r.value!.policy!.policy.mode, 'warn');
});

test('without an inventory (DOCKER_HOST, x-stack.hosts) the baseline warns too', async (t) => {
  const r = await load({ 'compose.yaml': PRIVILEGED }, { env: { DOCKER_HOST: 'unix:///run/x.sock' } });
  t.is(violations(r)[0].severity, 'warning');
  t.truthy(r.value);
});

test('mode: warn, written out, warns and names the inventory', async (t) => {
  const r = await loadWithPolicy(PRIVILEGED, 'mode: warn\n');
  const [d] = violations(r);
  t.is(d.severity, 'warning');
  t.regex(d.hint!, /^the policy in inv\.yaml only warns \(mode: warn\)/);
  t.truthy(r.value);
});

test('mode: enforce: every violation is an error, all at once, and the stack does not load', async (t) => {
  const r = await loadWithPolicy(
    stack('  web:\n    image: busybox\n    privileged: true\n    network_mode: host\n    cap_add: [SYS_ADMIN]\n'),
    'mode: enforce\n',
  );
  t.deepEqual(
    violations(r).map((d) => [d.rule, d.severity]),
    [
      ['privileged', 'error'],
      ['host-network', 'error'],
      ['cap-add', 'error'],
    ],
  );
  t.is(r.value, undefined);
});

test('checkPolicy: false (destroy, status, history, unlock) reads the policy but reports nothing', async (t) => {
  const r = await load(
    { 'compose.yaml': PRIVILEGED, 'inv.yaml': `${HOSTS}policy: { mode: enforce }\n` },
    { inventory: 'inv.yaml', checkPolicy: false },
  );
  t.deepEqual(violations(r), []);
  t.is(r.value!.policy!.policy.mode, 'enforce');
  t.deepEqual(r.value!.policy!.diagnostics, []);
});

test('the stack file can never allow itself anything: no key of it reaches the policy', async (t) => {
  const policy = 'mode: enforce\n';
  const allowSelf = '{ mode: warn, allow: [{ stack: demo, rules: [privileged] }] }';
  // x-stack has no policy key: refused by the schema, with where.
  const xStack = await loadWithPolicy(`${PRIVILEGED}x-stack:\n  policy: ${allowSelf}\n`, policy);
  t.is(formatLocation(xStack.diagnostics.find((d) => !d.rule)!.where), 'compose.yaml:9:3 x-stack.policy');
  t.is(xStack.value, undefined);
  // A top-level policy: is not a compose key: refused.
  const top = await loadWithPolicy(`${PRIVILEGED}policy: ${allowSelf}\n`, policy);
  t.is(formatLocation(top.diagnostics.find((d) => !d.rule)!.where), 'compose.yaml:8:1 policy');
  // Other x- keys are the application's own and ignored: the violation stands, as an error.
  for (const key of ['x-policy', 'x-stack-policy', 'x-allow']) {
    const x = await loadWithPolicy(`${PRIVILEGED}${key}: ${allowSelf}\n`, policy);
    t.deepEqual(
      violations(x).map((d) => d.severity),
      ['error'],
      key,
    );
    t.is(x.value, undefined);
  }
  // Nor a label or an extension field on the service.
  const labelled = await loadWithPolicy(
    stack(
      '  web:\n    image: busybox\n    privileged: true\n    labels: { policy.allow: privileged }\n    x-policy: { allow: [privileged] }\n',
    ),
    policy,
  );
  t.is(violations(labelled, 'privileged')[0].severity, 'error');
  // An override file merged in is a stack file too: its keys change nothing.
  const merged = await loadWithPolicy(PRIVILEGED, policy, {
    'compose.override.yaml': `x-policy: ${allowSelf}\nservices:\n  web:\n    labels: { a: b }\n`,
  });
  t.is(violations(merged, 'privileged').length, 1);
});

test('the examples of docs/policy.md: node-exporter and a VPN pass with their allow entries, and not without', async (t) => {
  const policy = (allow: string) => `mode: enforce\nregistries: ["registry.example.com/team/*"]\nallow:\n${allow}`;
  const exporter =
    'name: monitoring\nservices:\n  node-exporter:\n    image: registry.example.com/team/node-exporter:v1.8.2\n    network_mode: host\n    volumes: ["/:/host:ro,rslave"]\n    command: ["--path.rootfs=/host"]\n    deploy: { mode: global }\n';
  const vpn =
    'name: vpn\nservices:\n  wireguard:\n    image: registry.example.com/team/wireguard:1.0\n    cap_add: [NET_ADMIN]\n    ports: ["51820:51820/udp"]\n';
  const entries =
    '  - { stack: monitoring, service: node-exporter, rules: [host-network, bind-denied-path] }\n  - { stack: vpn, rules: [cap-add] }\n';
  for (const file of [exporter, vpn]) {
    const ok = await loadWithPolicy(file, policy(entries));
    t.deepEqual(ok.diagnostics, []);
    const refused = await loadWithPolicy(file, policy('  - { stack: other, rules: [cap-add] }\n'));
    t.true(violations(refused).length > 0);
    t.is(refused.value, undefined);
  }
});

test('the allow entry to paste reads back as the same names: numeric or boolean-looking names are quoted', async (t) => {
  const r = await loadWithPolicy('name: "2024"\nservices:\n  "true":\n    image: busybox\n    privileged: true\n');
  const [d] = violations(r);
  t.is(d.detail, 'policy:\n  allow:\n    - stack: "2024"\n      service: "true"\n      rules: [privileged]');
  const pasted = await loadWithPolicy(
    'name: "2024"\nservices:\n  "true":\n    image: busybox\n    privileged: true\n',
    `mode: enforce\n${d
      .detail!.split('\n')
      .slice(1)
      .map((l) => l.slice(2))
      .join('\n')}\n`,
  );
  t.deepEqual(pasted.diagnostics, []);
});
