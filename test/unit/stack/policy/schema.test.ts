/** The inventory's policy: key: each bad shape is one clear error with inv.yaml:line:col and the key path. */
import test from 'ava';
import { formatLocation } from '../../../../src/errors.js';
import { loadWithPolicy, stack } from './helpers.js';

const OK = stack('  web:\n    image: busybox\n');

const BAD: [string, string, RegExp][] = [
  ['mode: strict\n', 'inv.yaml:4:9 policy.mode', /must be warn \(a violation is a warning\) or enforce/],
  [
    'allow: [{ stack: demo, rules: [root] }]\n',
    'inv.yaml:4:34 policy.allow[0].rules[0]',
    /must be a rule id: privileged, host-network, host-pid/,
  ],
  ['allow: [{ rules: [privileged] }]\n', 'inv.yaml:4:11 policy.allow[0]', /stack/],
  ['allow: [{ stack: demo, rules: [] }]\n', 'inv.yaml:4:26 policy.allow[0].rules', /must NOT have fewer than 1 items/],
  [
    'allow: [{ stack: demo, services: [web], rules: [privileged] }]\n',
    'inv.yaml:4:26 policy.allow[0].services',
    /unknown key|not allowed|service/,
  ],
  ['allow: [{ stack: "a b", rules: [privileged] }]\n', 'inv.yaml:4:20 policy.allow[0].stack', /names hold letters/],
  ['denied_paths: [srv/secrets]\n', 'inv.yaml:4:18 policy.denied_paths[0]', /must be an absolute host path/],
  ['registries: ["*"]\n', 'inv.yaml:4:16 policy.registries[0]', /must be REGISTRY\[:PORT\]\/PATH/],
  ['registries: ["docker.io*/x"]\n', 'inv.yaml:4:16 policy.registries[0]', /must be REGISTRY\[:PORT\]\/PATH/],
  ['enforce: true\n', 'inv.yaml:4:3 policy.enforce', /unknown key|not allowed/],
];

for (const [policy, at, message] of BAD) {
  test(`inventory policy ${policy.trim()}: ${at}`, async (t) => {
    const r = await loadWithPolicy(OK, policy);
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    t.is(errors.length, 1, errors.map((d) => `${formatLocation(d.where)} ${d.summary}`).join('\n'));
    t.is(formatLocation(errors[0].where), at);
    t.regex(errors[0].summary, message);
    t.is(r.value, undefined);
  });
}

test('policy: must be a mapping', async (t) => {
  const r = await loadWithPolicy(OK, '- enforce\n');
  t.is(formatLocation(r.diagnostics[0].where), 'inv.yaml:3:1 policy');
});
