/** The rules on host namespaces, devices and security options: each fires at its key, and an allow entry lets it by. */
import test from 'ava';
import { formatLocation } from '../../../../src/errors.js';
import { disablesConfinement } from '../../../../src/stack/policy/rules.js';
import { loadWithPolicy, stack, violations } from './helpers.js';

const cases: [rule: string, keys: string, where: string, what: RegExp][] = [
  ['host-pid', '    pid: host\n', 'services.web.pid', /shares the host's process namespace/],
  ['host-ipc', '    ipc: host\n', 'services.web.ipc', /shares the host's IPC namespace/],
  ['host-uts', '    uts: host\n', 'services.web.uts', /shares the host's hostname/],
  ['host-userns', '    userns_mode: host\n', 'services.web.userns_mode', /user namespace remapping/],
  ['devices', '    devices: [/dev/fuse]\n', 'services.web.devices[0]', /maps host device \/dev\/fuse/],
  ['security-opt', '    security_opt: [seccomp:unconfined]\n', 'services.web.security_opt[0]', /seccomp=unconfined/],
];

for (const [rule, keys, path, what] of cases)
  test(`${rule}: refused under enforce at ${path}; an allow entry for the service lets it through`, async (t) => {
    const file = stack(`  web:\n    image: busybox\n${keys}`);
    const refused = await loadWithPolicy(file, 'mode: enforce\n');
    const [v] = violations(refused, rule);
    t.truthy(v, JSON.stringify(refused.diagnostics));
    t.is(v.severity, 'error');
    t.regex(formatLocation(v.where), new RegExp(`compose\\.yaml:\\d+:\\d+ ${path.replace(/[[\]]/g, '\\$&')}$`));
    t.regex(v.summary, what);
    t.is(refused.value, undefined);
    const allowed = await loadWithPolicy(
      file,
      `mode: enforce\nallow:\n  - { stack: demo, service: web, rules: [${rule}] }\n`,
    );
    t.deepEqual(violations(allowed), []);
    t.truthy(allowed.value);
    const warned = await loadWithPolicy(file);
    t.is(violations(warned, rule)[0]?.severity, 'warning');
  });

test('settings that keep or tighten confinement break no rule', async (t) => {
  const r = await loadWithPolicy(
    stack(
      '  web:\n    image: busybox\n    ipc: shareable\n    security_opt: [no-new-privileges:true, apparmor=docker-default, "label=type:svirt_t"]\n',
    ),
    'mode: enforce\n',
  );
  t.deepEqual(r.diagnostics, []);
  for (const opt of ['seccomp=unconfined', 'apparmor=unconfined', 'label=disable', 'systempaths=unconfined'])
    t.true(disablesConfinement(opt), opt);
  for (const opt of ['no-new-privileges=true', 'seccomp=builtin', 'label=level:s0:c100', 'apparmor=custom'])
    t.false(disablesConfinement(opt), opt);
});

test('the docs example: a process exporter with pid: host and / bound passes with host-pid in its entry', async (t) => {
  const file =
    'name: monitoring\nservices:\n  process-exporter:\n    image: busybox\n    pid: host\n    volumes: ["/proc:/host/proc:ro"]\n';
  const entry = (rules: string) =>
    `mode: enforce\nallow:\n  - { stack: monitoring, service: process-exporter, rules: [${rules}] }\n`;
  t.deepEqual((await loadWithPolicy(file, entry('host-pid, bind-denied-path'))).diagnostics, []);
  t.deepEqual(
    violations(await loadWithPolicy(file, entry('bind-denied-path'))).map((d) => d.rule),
    ['host-pid'],
  );
});
