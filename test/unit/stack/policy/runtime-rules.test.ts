/** The rules on cgroups, the OCI runtime, the OOM killer, device cgroup rules, device requests and containers outside the stack: each fires at its key, and an allow entry lets it by. */
import test from 'ava';
import { formatLocation } from '../../../../src/errors.js';
import { loadWithPolicy, stack, violations } from './helpers.js';

const cases: [rule: string, keys: string, where: string, what: RegExp][] = [
  ['cgroup-host', '    cgroup: host\n', 'services.web.cgroup', /host's cgroup tree/],
  ['cgroup-parent', '    cgroup_parent: /system.slice\n', 'services.web.cgroup_parent', /under \/system\.slice/],
  ['runtime', '    runtime: runsc\n', 'services.web.runtime', /OCI runtime runsc/],
  ['oom-score-adj', '    oom_score_adj: -500\n', 'services.web.oom_score_adj', /oom_score_adj -500/],
  ['oom-kill-disable', '    oom_kill_disable: true\n', 'services.web.oom_kill_disable', /without a memory limit/],
  [
    'device-cgroup-rules',
    '    device_cgroup_rules: ["c 1:3 mr", "b 8:* rw"]\n',
    'services.web.device_cgroup_rules[1]',
    /host devices b 8:\* rw/,
  ],
  ['gpus', '    gpus: all\n', 'services.web.gpus', /GPUs/],
  [
    'gpus',
    '    deploy: { resources: { reservations: { devices: [{ driver: nvidia, capabilities: [gpu] }] } } }\n',
    'services.web.deploy.resources.reservations.devices[0]',
    /devices \(gpu\) by nvidia/,
  ],
  [
    'outside-containers',
    '    volumes_from: [other, "container:legacy:ro"]\n    deploy: { placement: { constraints: [node.hostname == h1] } }\n  other:\n    image: busybox\n',
    'services.web.volumes_from[1]',
    /volumes of container legacy/,
  ],
  [
    'outside-containers',
    '    external_links: ["legacy-redis:cache"]\n    deploy: { placement: { constraints: [node.hostname == h1] } }\n',
    'services.web.external_links[0]',
    /links to container legacy-redis/,
  ],
];

for (const [rule, keys, path, what] of cases)
  test(`${rule} (${keys.trim().split(':')[0]}): refused under enforce at ${path}; an allow entry for the service lets it through`, async (t) => {
    const file = stack(`  web:\n    image: busybox\n${keys}`);
    const refused = await loadWithPolicy(file, 'mode: enforce\n');
    const [v] = violations(refused, rule).slice(-1);
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
    t.is(violations(await loadWithPolicy(file), rule)[0]?.severity, 'warning');
  });

test('settings that take nothing more of the host break no rule', async (t) => {
  const r = await loadWithPolicy(
    stack(
      '  web:\n    image: busybox\n    cgroup: private\n    runtime: runc\n    oom_score_adj: 500\n    mem_limit: 64m\n    oom_kill_disable: true\n    cpu_shares: 512\n    blkio_config: { weight: 300 }\n',
    ),
    'mode: enforce\n',
  );
  t.deepEqual(r.diagnostics, []);
});
