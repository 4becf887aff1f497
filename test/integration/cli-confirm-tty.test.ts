/**
 * `stack apply` without --yes on a terminal (a pseudo-terminal from util-linux's `script`): it shows the plan and
 * asks; `n` cancels with exit 1 and nothing written on any host, `y` applies. The non-terminal refusal is in
 * cli-apply.test.ts; this is the path an operator at a terminal takes.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import {
  containersOf,
  deploy,
  desiredFor,
  IMAGE,
  stackEvents,
  uniqueStack,
  eventWindowStart,
} from './reconcile-helpers.js';
import { bin, ensureBuilt, inventoryYaml, sandboxHosts, stateDir, writeDir } from './cli-helpers.js';

test.before(() => ensureBuilt());

/** Runs `stack apply -i inventory.yaml` in dir on a pseudo-terminal, answering `answer` once it asks. */
function applyAtTerminal(dir: string, answer: string): Promise<{ code: number | null; output: string }> {
  const child = spawn('script', ['-qec', `${process.execPath} ${bin} apply -i inventory.yaml`, '/dev/null'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', NO_COLOR: '1', TERM: 'dumb', STACK_STATE_DIR: stateDir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let answered = false;
  const take = (d: Buffer) => {
    output += d.toString();
    if (!answered && /\[y\/N\]/.test(output)) {
      answered = true;
      child.stdin.write(`${answer}\n`);
    }
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

test('on a terminal apply asks: n cancels with exit 1 and no write, y applies', async (t) => {
  const name = uniqueStack('tty');
  const file = `name: ${name}\nservices:\n  app:\n    image: ${IMAGE()}\n    command: ["sleep", "3600"]\n    deploy:\n      placement:\n        constraints: ["node.hostname == h1"]\n`;
  const dir = writeDir({ 'compose.yaml': file, 'inventory.yaml': inventoryYaml(sandboxHosts(['h1'])) });
  t.teardown(() => deploy(desiredFor(name, [], 'socket'), { destroy: true }).then(() => undefined));
  const since = await eventWindowStart();
  const no = await applyAtTerminal(dir, 'n');
  t.is(no.code, 1, no.output);
  t.regex(no.output, /Apply .*\[y\/N\][\s\S]*cancelled/);
  t.deepEqual(await stackEvents(name, since), [], 'nothing written');
  const yes = await applyAtTerminal(dir, 'y');
  t.is(yes.code, 0, yes.output);
  t.is((await containersOf(name)).get(`${name}-app-1`)?.info.State, 'running');
});
