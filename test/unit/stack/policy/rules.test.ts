/**
 * Each policy rule: fires (with file:line:col of the offending key), does not fire on the harmless form, is
 * allowed by a stack entry and by a service entry, and is not allowed by an entry for another service or stack.
 */
import test from 'ava';
import { formatLocation } from '../../../../src/errors.js';
import { loadWithPolicy, stack, violations } from './helpers.js';

interface RuleCase {
  rule: string;
  /** Service `web` breaking the rule, as YAML under services:. */
  bad: string;
  /** Where the diagnostic points. */
  at: string;
  /** The same service without the violation. */
  good: string;
  /** Extra policy keys the rule needs (registries). */
  policy?: string;
}

const CASES: RuleCase[] = [
  {
    rule: 'privileged',
    bad: '  web:\n    image: busybox\n    privileged: true\n',
    at: 'compose.yaml:5:17 services.web.privileged',
    good: '  web:\n    image: busybox\n    privileged: false\n',
  },
  {
    rule: 'host-network',
    bad: '  web:\n    image: busybox\n    network_mode: host\n',
    at: 'compose.yaml:5:19 services.web.network_mode',
    good: '  web:\n    image: busybox\n    network_mode: bridge\n',
  },
  {
    rule: 'cap-add',
    bad: '  web:\n    image: busybox\n    cap_add: [CHOWN, NET_ADMIN]\n',
    at: 'compose.yaml:5:22 services.web.cap_add[1]',
    good: '  web:\n    image: busybox\n    cap_add: [CHOWN, NET_BIND_SERVICE]\n',
  },
  {
    rule: 'bind-denied-path',
    bad: '  web:\n    image: busybox\n    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]\n',
    at: 'compose.yaml:5:15 services.web.volumes[0]',
    good: '  web:\n    image: busybox\n    volumes: ["/srv/app:/data"]\n',
  },
  {
    rule: 'registry',
    bad: '  web:\n    image: docker.io/library/busybox:1.35\n',
    at: 'compose.yaml:4:12 services.web.image',
    good: '  web:\n    image: 10.77.0.2:5000/busybox:1.35\n',
    policy: 'registries: ["10.77.0.2:5000/*"]\n',
  },
];

for (const c of CASES) {
  const policy = (allow: string) => `mode: enforce\n${c.policy ?? ''}${allow}`;

  test(`${c.rule}: fires, as an error naming where, the rule and the allow entry to paste`, async (t) => {
    const r = await loadWithPolicy(stack(c.bad), policy(''));
    const [d, ...more] = violations(r);
    t.deepEqual(more, []);
    t.is(d.rule, c.rule);
    t.is(d.severity, 'error');
    t.is(formatLocation(d.where), c.at);
    t.regex(d.summary, new RegExp(`^policy rule ${c.rule}: service web `));
    t.is(d.detail, `policy:\n  allow:\n    - stack: demo\n      service: web\n      rules: [${c.rule}]`);
    t.regex(d.hint!, /the policy in inv\.yaml refuses it \(mode: enforce\)/);
    t.is(r.value, undefined, 'an enforced violation fails the load');
  });

  test(`${c.rule}: does not fire on the harmless form`, async (t) => {
    const r = await loadWithPolicy(stack(c.good), policy(''));
    t.deepEqual(violations(r), []);
    t.truthy(r.value);
  });

  test(`${c.rule}: allowed by an entry for the stack, and by one for the service`, async (t) => {
    for (const allow of [
      `allow:\n  - { stack: demo, rules: [${c.rule}] }\n`,
      `allow:\n  - { stack: demo, service: web, rules: [${c.rule === 'devices' ? 'privileged' : 'devices'}, ${c.rule}] }\n`,
    ]) {
      const r = await loadWithPolicy(stack(c.bad), policy(allow));
      t.deepEqual(violations(r), [], allow);
      t.truthy(r.value);
    }
  });

  test(`${c.rule}: not allowed by an entry for another service, another stack or another rule`, async (t) => {
    for (const allow of [
      `allow:\n  - { stack: demo, service: api, rules: [${c.rule}] }\n`,
      `allow:\n  - { stack: other, rules: [${c.rule}] }\n`,
      `allow:\n  - { stack: demo, service: web, rules: [${c.rule === 'devices' ? 'privileged' : 'devices'}] }\n`,
    ]) {
      const r = await loadWithPolicy(stack(c.bad), policy(allow));
      t.is(violations(r, c.rule).length, 1, allow);
    }
  });
}
