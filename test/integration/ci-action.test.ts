/**
 * The GitHub Action's steps (deploy/ci/steps.sh, which action.yml runs) on h1–h3 with the built CLI: on a pull
 * request (STACK_APPLY false) they validate, plan into a saved plan and write its Markdown to the file
 * GITHUB_STEP_SUMMARY names, changing nothing; on the default branch (STACK_APPLY true) they apply that saved plan;
 * an invalid stack fails the validation with a workflow annotation on its file and line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import YAML from 'yaml';
import {
  containersOf,
  deploy,
  desiredFor,
  eventWindowStart,
  IMAGE,
  stackEvents,
  uniqueStack,
} from './reconcile-helpers.js';
import {
  bin,
  ensureBuilt,
  inventoryYaml,
  sandboxHosts,
  startCommand,
  writeDir,
  type CliResult,
} from './cli-helpers.js';
import { repoRoot } from '../helpers/sandbox.js';

const STEPS = path.join(repoRoot, 'deploy', 'ci', 'steps.sh');
test.before(() => ensureBuilt());

/** Runs the steps as the action does, in `dir`, with the runner's files in `dir`. */
function steps(dir: string, env: Record<string, string>): Promise<CliResult> {
  return startCommand('bash', [STEPS], {
    cwd: dir,
    env: {
      STACK_BIN: `${process.execPath} ${bin}`,
      STACK_FILES: 'compose.yaml',
      STACK_INVENTORY: 'inventory.yaml',
      GITHUB_STEP_SUMMARY: path.join(dir, 'summary.md'),
      GITHUB_OUTPUT: path.join(dir, 'output.txt'),
      ...env,
    },
  }).done;
}

function stackFile(name: string): string {
  return (
    `name: ${name}\nservices:\n  app:\n    image: ${IMAGE()}\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]\n` +
    `    stop_grace_period: 1s\n    deploy:\n      replicas: 2\n      placement:\n        constraints: ["node.labels.pool == main"]\n`
  );
}

test('action.yml runs steps.sh with the inputs as environment variables, never interpolated into the script', (t) => {
  const action = YAML.parse(readFileSync(path.join(repoRoot, 'deploy', 'ci', 'action.yml'), 'utf8')) as {
    runs: { using: string; steps: { id?: string; run?: string; env?: Record<string, string> }[] };
  };
  t.is(action.runs.using, 'composite');
  const step = action.runs.steps.find((s) => s.id === 'stack')!;
  t.true(step.run!.includes('"$GITHUB_ACTION_PATH/steps.sh"'));
  t.false(step.run!.includes('${{'), 'inputs reach the script through env only');
  t.deepEqual(Object.keys(step.env!).sort(), [
    'STACK_APPLY',
    'STACK_BIN',
    'STACK_FILES',
    'STACK_INVENTORY',
    'STACK_PLAN_FILE',
  ]);
  const gitlab = YAML.parse(readFileSync(path.join(repoRoot, 'deploy', 'ci', 'gitlab-ci.yml'), 'utf8')) as Record<
    string,
    { script?: string[] }
  >;
  t.regex(gitlab['stack:apply'].script!.join('\n'), /apply "\$STACK_PLAN_FILE" --yes/);
});

test('pull request: validate and plan into the job summary, no write; default branch: the saved plan applied', async (t) => {
  const name = uniqueStack('ci');
  const dir = writeDir({
    'compose.yaml': stackFile(name),
    'inventory.yaml': inventoryYaml(sandboxHosts(['h1', 'h2', 'h3'])),
  });
  t.teardown(() =>
    deploy(desiredFor(name, [], 'socket'), { destroy: true, pruneVolumes: true }).then(
      () => undefined,
      () => undefined,
    ),
  );
  const since = await eventWindowStart();
  const pr = await steps(dir, { STACK_APPLY: 'false' });
  t.is(pr.code, 0, pr.stderr);
  const summary = readFileSync(path.join(dir, 'summary.md'), 'utf8');
  t.regex(summary, new RegExp(`^### stack ${name}: \\d+ to create, 0 to replace, 0 to update, 0 to delete`));
  t.regex(summary, new RegExp(`\\| \\+ create \\| h\\d \\| \`${name}-app-1\` \\|`));
  t.regex(pr.stdout, /::group::stack validate\nOK /);
  t.is(readFileSync(path.join(dir, 'output.txt'), 'utf8'), 'changes=true\nplan-file=stack-plan.json\n');
  t.deepEqual(await stackEvents(name, since), [], 'a pull request changes nothing');

  writeFileSync(path.join(dir, 'summary.md'), '');
  const main = await steps(dir, { STACK_APPLY: 'true' });
  t.is(main.code, 0, main.stderr);
  t.deepEqual([...(await containersOf(name)).keys()].sort(), [`${name}-app-1`, `${name}-app-2`]);
  t.regex(readFileSync(path.join(dir, 'summary.md'), 'utf8'), /\*\*Applied\*\* the saved plan `stack-plan\.json`/);

  const again = await steps(dir, { STACK_APPLY: 'true' });
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, /stack: no changes to apply/);
});

test('an invalid stack fails the validation with an annotation on its file and line, before any plan', async (t) => {
  const dir = writeDir({
    'compose.yaml': 'services:\n  app:\n    image: x\n    ports: ["not a port"]\n',
    'inventory.yaml': inventoryYaml(sandboxHosts(['h1'])),
  });
  const r = await steps(dir, { STACK_APPLY: 'true' });
  t.is(r.code, 1);
  t.regex(r.stdout, /^::error file=compose\.yaml,line=4,col=\d+,title=stack::/m);
  t.regex(r.stderr, /1 error \(written on stdout as workflow annotations\)/);
  t.false(r.stdout.includes('::group::stack plan'));
});
