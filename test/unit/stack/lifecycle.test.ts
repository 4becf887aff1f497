import test from 'ava';
import { errors, find, load, where } from './helpers.js';
import { formatConfig } from '../../../src/cli/views/config.js';
import { loadWithPolicy, stack, violations } from './policy/helpers.js';

test('post_start and pre_stop: commands split as a shell would, environment as map or list, user, working_dir', async (t) => {
  const r = await load(
    {
      'compose.yaml': [
        'services:',
        '  web:',
        '    image: busybox',
        '    post_start:',
        '      - command: sh -c "echo up > /tmp/up"',
        '        user: root',
        '        working_dir: /tmp',
        '        environment: [A=1, FROM_ENV]',
        '    pre_stop:',
        '      - command: [sh, -c, "echo bye"]',
        '        environment: { DB_PASSWORD: hunter2 }',
        '',
      ].join('\n'),
    },
    { env: { FROM_ENV: 'x' } },
  );
  t.deepEqual(errors(r), []);
  const web = r.value!.services.web;
  t.deepEqual(web.postStart, [
    {
      command: ['sh', '-c', 'echo up > /tmp/up'],
      user: 'root',
      workingDir: '/tmp',
      privileged: false,
      environment: { A: '1', FROM_ENV: 'x' },
      sensitive: [],
    },
  ]);
  t.deepEqual(web.preStop?.[0].command, ['sh', '-c', 'echo bye']);
  t.deepEqual(web.preStop?.[0].sensitive, ['DB_PASSWORD']);
});

test('lifecycle hooks: a hook without command, an unknown key, unbalanced quotes are errors at their position', async (t) => {
  const r = await load({
    'compose.yaml': [
      'services:',
      '  web:',
      '    image: busybox',
      '    post_start:',
      '      - user: root',
      '      - command: echo "open',
      '    pre_stop:',
      '      - command: echo',
      '        timeout: 5',
      '',
    ].join('\n'),
  });
  t.regex(where(find(r, /command/)), /^compose\.yaml:5:\d+ services\.web\.post_start\[0\]/);
  t.is(where(find(r, 'unbalanced quotes in command')), 'compose.yaml:6:18 services.web.post_start[1].command');
  t.regex(where(find(r, /timeout/)), /^compose\.yaml:9:9 services\.web\.pre_stop\[0\]/);
});

test('a privileged hook goes through the operator policy as privileged: does', async (t) => {
  const compose = stack(
    '  web:\n    image: busybox\n    post_start:\n      - command: echo\n        privileged: true\n',
  );
  const enforced = await loadWithPolicy(compose, 'mode: enforce\n');
  const v = violations(enforced, 'privileged');
  t.is(v.length, 1);
  t.is(where(v[0]), 'compose.yaml:7:21 services.web.post_start[0].privileged');
  t.regex(v[0].summary, /runs its post_start hook privileged/);
  const allowed = await loadWithPolicy(compose, 'mode: enforce\nallow:\n  - { stack: demo, rules: [privileged] }\n');
  t.deepEqual(violations(allowed), []);
});

test('stack config masks sensitive values of hook environments', async (t) => {
  const r = await load({
    'compose.yaml':
      'services:\n  web:\n    image: busybox\n    post_start:\n      - command: echo\n        environment: { DB_PASSWORD: hook-secret-1, A: "1" }\n',
  });
  const text = formatConfig(r.value!);
  t.false(text.includes('hook-secret-1'));
  t.regex(text, /DB_PASSWORD: \(sensitive\)/);
});
