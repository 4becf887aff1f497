/**
 * Lifecycle hooks and include on the real sandbox (h1), through the CLI: a post_start hook runs in the started
 * container; a pre_stop hook runs before the old replica stops (its mark lands in a named volume the new one reads);
 * a failing pre_stop is a warning; a failing post_start fails the apply and the previous replica keeps running; a
 * service from an included file runs with its env_file read from its own folder.
 */
import { writeFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { containersOf, docker, eventually, execIn, IMAGE, uniqueStack } from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';

test.before(() => ensureBuilt());

/** A folder with the files and an inventory of h1; the stack is destroyed (volumes too) afterwards. */
function onH1(t: ExecutionContext, files: Record<string, string>): string {
  const dir = writeDir({ ...files, 'inventory.yaml': inventoryYaml(sandboxHosts(['h1'])) });
  t.teardown(() =>
    runStack(['destroy', '--yes', '--prune-volumes', '-i', 'inventory.yaml'], dir).then(
      () => undefined,
      () => undefined,
    ),
  );
  return dir;
}

async function running(stack: string) {
  const all = [...(await containersOf(stack)).entries()].filter(([, c]) => c.info.State === 'running');
  return Promise.all(
    all.map(async ([name, c]) => ({ name, inspect: await docker(c.host).getContainer(name).inspect() })),
  );
}

const hooked = (name: string, release: string) => `name: ${name}
services:
  app:
    image: ${IMAGE()}
    command: ["sleep", "3600"]
    environment: { RELEASE: "${release}" }
    volumes: ["marks:/marks"]
    post_start:
      - command: sh -c "echo $$RELEASE > /tmp/post_start; echo start $$RELEASE >> /marks/log"
    pre_stop:
      - command: ["sh", "-c", "echo stopping $$RELEASE >> /marks/log"]
      - command: ["sh", "-c", "exit 7"]
volumes:
  marks: {}
`;

test('post_start runs in the started container; pre_stop runs before the old replica stops; a failing pre_stop is a warning', async (t) => {
  const name = uniqueStack('hook');
  const dir = onH1(t, { 'compose.yaml': hooked(name, 'v1') });
  const first = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(first.code, 0, first.stdout + first.stderr);
  t.regex(first.stdout, /start \S+ \(post_start: 1 hook\)/);
  const [v1] = await running(name);
  t.is((await execIn('h1', v1.name, ['cat', '/tmp/post_start'])).output.trim(), 'v1');

  writeFileSync(`${dir}/compose.yaml`, hooked(name, 'v2'));
  const second = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(second.code, 0, second.stdout + second.stderr);
  t.regex(second.stdout, /warning: pre_stop hook 2 \(sh -c exit 7\) exited with 7 \(stopped anyway\)/);
  const now = await eventually(
    async () => {
      const r = await running(name);
      return r.length === 1 && r[0].inspect.Config.Env.includes('RELEASE=v2') ? r : undefined;
    },
    30_000,
    'the v2 replica alone running',
  );
  t.is((await execIn('h1', now[0].name, ['cat', '/tmp/post_start'])).output.trim(), 'v2');
  const log = (await execIn('h1', now[0].name, ['cat', '/marks/log'])).output.trim().split('\n');
  // the old replica's pre_stop ran (before it stopped: a stopped container runs no exec), the new one's post_start too
  t.deepEqual(log.slice(0, 1), ['start v1']);
  t.true(log.includes('stopping v1'), log.join('|'));
  t.true(log.includes('start v2'), log.join('|'));
  t.false(log.includes('stopping v2'), log.join('|'));
});

test('a failing post_start fails the apply with the hook and its output; the previous replica keeps running', async (t) => {
  const name = uniqueStack('hookf');
  const compose = (release: string, hook: string) => `name: ${name}
services:
  app:
    image: ${IMAGE()}
    command: ["sleep", "3600"]
    environment: { RELEASE: "${release}" }
    deploy: { update_config: { order: start-first } }
${hook}`;
  const dir = onH1(t, { 'compose.yaml': compose('v1', '') });
  const first = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(first.code, 0, first.stdout + first.stderr);
  writeFileSync(
    `${dir}/compose.yaml`,
    compose('v2', '    post_start:\n      - command: ["sh", "-c", "echo no database >&2; exit 3"]\n'),
  );
  const second = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(second.code, 1, second.stdout + second.stderr);
  t.regex(
    second.stdout + second.stderr,
    /post_start hook 1 \(sh -c echo no database >&2; exit 3\) exited with 3: no database/,
  );
  const left = await eventually(
    async () => {
      const r = await running(name);
      return r.length === 1 ? r : undefined;
    },
    30_000,
    'one replica running',
  );
  t.true(left[0].inspect.Config.Env.includes('RELEASE=v1'), left[0].inspect.Config.Env.join(' '));
});

test('an included file: its service runs, its env_file read from its own folder', async (t) => {
  const name = uniqueStack('incl');
  const dir = onH1(t, {
    'compose.yaml': `name: ${name}\ninclude:\n  - worker/compose.yaml\nservices:\n  web:\n    image: ${IMAGE()}\n    command: ["sleep", "3600"]\n    depends_on: [worker]\n`,
    'worker/compose.yaml': `services:\n  worker:\n    image: ${IMAGE()}\n    command: ["sleep", "3600"]\n    env_file: worker.env\n`,
    'worker/worker.env': 'MARK=from-include\n',
  });
  const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 0, r.stdout + r.stderr);
  const all = await running(name);
  const worker = all.find(
    (c) => c.inspect.Config.Labels['com.docker.compose.service'] === 'worker' || c.name.includes('worker'),
  );
  t.truthy(worker, all.map((c) => c.name).join(', '));
  t.true(worker!.inspect.Config.Env.includes('MARK=from-include'));
  t.is(all.length, 2);
});
