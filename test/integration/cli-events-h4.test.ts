/**
 * `stack events --follow` when a host drops: h4's daemon (the spare, the only host tests may stop) is stopped while
 * events are followed on h1 and h4; the output names h4 once, h1's events go on, and the exit code is 1.
 */
import { execFileSync } from 'node:child_process';
import test from 'ava';
import { engine, sandbox } from '../helpers/sandbox.js';
import { docker, eventually, IMAGE, uniqueStack } from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, startStack, writeDir } from './cli-helpers.js';

const sb = sandbox();
const h4 = () => engine(sb.hosts.find((h) => h.name === 'h4')!);
const sandboxCmd = (...args: string[]) =>
  execFileSync('bash', [sb.sandboxScript, ...args], {
    stdio: 'ignore',
    env: { ...process.env, STACK_SANDBOX_HOSTS: '4' },
  });

test.before(() => ensureBuilt());

test('events --follow: a host that drops is named once and the others go on', async (t) => {
  const name = uniqueStack('ev');
  const file = [
    `name: ${name}`,
    'services:',
    '  web:',
    `    image: ${IMAGE()}`,
    `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`,
    '    deploy: { mode: global }',
    '',
  ].join('\n');
  const dir = writeDir({ 'compose.yaml': file, 'inventory.yaml': inventoryYaml(sandboxHosts(['h1', 'h4'])) });
  t.teardown(async () => {
    sandboxCmd('start-host', 'h4');
    await eventually(
      async () =>
        h4()
          .ping()
          .then(
            () => true,
            () => false,
          ),
      60_000,
      'h4 to answer',
    );
    const destroyed = await runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir);
    if (destroyed.code !== 0) throw new Error(`destroy: ${destroyed.stderr}`);
  });
  const since = String((Date.now() - 1000) / 1000);
  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(applied.code, 0, applied.stderr);

  const follow = startStack(['events', '--follow', '--json', '--since', since, '-i', 'inventory.yaml'], dir);
  t.teardown(() => void follow.child.kill('SIGKILL'));
  const starts = () =>
    follow
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"action":"start"'));
  await eventually(async () => starts().length === 2, 30_000, 'the start of both replicas');
  t.deepEqual(
    starts()
      .map((l) => (JSON.parse(l) as { host: string }).host)
      .sort(),
    ['h1', 'h4'],
  );

  sandboxCmd('stop-host', 'h4');
  await docker('h1').getContainer(`${name}-web-h1`).stop({ t: 1 });
  await eventually(
    async () =>
      follow
        .stdout()
        .split('\n')
        .some((l) => l.includes('"action":"die"') && l.includes('"host":"h1"')),
    30_000,
    "h1's die event after h4 dropped",
  );
  follow.child.kill('SIGINT');
  const ended = await follow.done;
  t.is(ended.code, 1, 'a host was lost');
  const named = ended.stderr.split('\n').filter((l) => l.includes('h4'));
  t.is(named.length, 1, ended.stderr);
  t.regex(named[0], /^warning: host h4: no events: /);
});
