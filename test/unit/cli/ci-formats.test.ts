/**
 * The CI formats (issue 17): GitHub workflow annotations (file, line, col, escaped message), a GitLab Code Quality
 * report, the plan as Markdown, and withDiagnosticsIn, which writes a failing command's diagnostics in the format
 * and replaces them with one line.
 */
import { Writable } from 'node:stream';
import test from 'ava';
import { ExitError, type Diagnostic } from '../../../src/errors.js';
import { githubAnnotation, gitlabReport, repoPath } from '../../../src/cli/views/annotations.js';
import { planMarkdown } from '../../../src/cli/views/plan-markdown.js';
import { outputFormat, withDiagnosticsIn } from '../../../src/cli/output-format.js';
import { reconcile } from '../../../src/plan/reconcile.js';
import { desired, observedEmpty, service } from '../plan/helpers.js';

const bad: Diagnostic = {
  severity: 'error',
  summary: 'services.web.ports[0]: 100%, not a port: "a,b"',
  where: { file: '/repo/stacks/compose.yaml', line: 7, column: 9, path: 'services.web.ports[0]' },
  hint: 'write it like 8080:80',
};

test('github: an error annotation with the file relative to the working directory, line and col, escaped', (t) => {
  t.is(
    githubAnnotation(bad, '/repo'),
    '::error file=stacks/compose.yaml,line=7,col=9,title=stack::services.web.ports[0]: 100%25, not a port: "a,b" (services.web.ports[0])%0Ahint: write it like 8080:80',
  );
  const warn: Diagnostic = { severity: 'warning', summary: 'host h2 is unreachable', where: { host: 'h2' }, rule: 'x' };
  t.is(githubAnnotation(warn, '/repo'), '::warning title=stack%3A x::host h2 is unreachable (host h2)');
  t.is(repoPath('/elsewhere/c.yaml', '/repo'), '/elsewhere/c.yaml', 'a file outside stays as it is');
  t.is(
    githubAnnotation({ ...bad, where: { file: 'a,b:c.yaml', line: 1 } }, '/repo'),
    '::error file=a%2Cb%3Ac.yaml,line=1,title=stack::services.web.ports[0]: 100%25, not a port: "a,b"%0Ahint: write it like 8080:80',
  );
});

test('gitlab: a Code Quality report, one issue per diagnostic, stable fingerprints', (t) => {
  const report = JSON.parse(gitlabReport([bad, { severity: 'warning', summary: 'w' }], '/repo')) as {
    description: string;
    check_name: string;
    fingerprint: string;
    severity: string;
    location: { path: string; lines: { begin: number } };
  }[];
  t.is(report.length, 2);
  t.like(report[0], {
    check_name: 'stack',
    severity: 'major',
    location: { path: 'stacks/compose.yaml', lines: { begin: 7 } },
  });
  t.regex(report[0].fingerprint, /^[0-9a-f]{64}$/);
  t.false(report[0].description.includes('\n'));
  t.like(report[1], { severity: 'minor', location: { path: 'stack', lines: { begin: 1 } } });
  t.is(JSON.parse(gitlabReport([bad], '/repo'))[0].fingerprint, report[0].fingerprint);
});

test('markdown: the summary as a heading, a row per change, the plan text folded, the saved file named', (t) => {
  const d = desired([service('web', { deploy: { replicas: 2 } })]);
  const plan = reconcile(d, observedEmpty(d));
  const md = planMarkdown(plan, { savedTo: 'plan.json' });
  t.regex(md, /^### stack app: \d+ to create, 0 to replace, 0 to update, 0 to delete \(\d+ operations\)\n/);
  t.regex(md, /\| \+ create \| h\d \| `app-web-1` \| /);
  t.regex(md, /<details><summary>Plan<\/summary>\n\n```text\nstack app: /);
  t.regex(md, /Saved plan: `plan\.json` \(apply exactly it with `stack apply plan\.json`\)/);
  const empty = reconcile(d, observedEmpty(d));
  empty.operations = [];
  empty.changes = [];
  t.is(planMarkdown(empty), '### stack app: no changes\n');
});

test('markdown: a pipe or backticks in a cause cannot break the table', (t) => {
  const d = desired([service('web')]);
  const plan = reconcile(d, observedEmpty(d));
  plan.changes = [{ ...plan.changes.find((c) => c.type === 'container')!, cause: 'a | b', name: 'x`y' }];
  t.regex(planMarkdown(plan), /\| `` x`y `` \| a \\\| b \|/);
});

function sink(): { stream: Writable; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return { stream, text: () => out };
}

test('withDiagnosticsIn github: warnings and a failure as annotations, then one line instead of the errors', async (t) => {
  const { stream, text } = sink();
  const err = await t.throwsAsync(
    withDiagnosticsIn(
      'github',
      (warn) => {
        warn([{ severity: 'warning', summary: 'careful' }]);
        return Promise.reject(new ExitError(1, [bad]));
      },
      { cwd: '/repo', stream },
    ),
    { instanceOf: ExitError },
  );
  t.is(text(), `::warning title=stack::careful\n${githubAnnotation(bad, '/repo')}\n`);
  t.is(err.exitCode, 1);
  t.deepEqual(
    err.diagnostics.map((d) => d.summary),
    ['1 error (written on stdout as workflow annotations)'],
  );
});

test('withDiagnosticsIn gitlab: one report at the end, empty when all is well', async (t) => {
  const ok = sink();
  t.is(await withDiagnosticsIn('gitlab', () => Promise.resolve(5), { stream: ok.stream }), 5);
  t.is(ok.text(), '[]\n');
  const failed = sink();
  await t.throwsAsync(
    withDiagnosticsIn('gitlab', () => Promise.reject(new ExitError(1, [bad])), { cwd: '/repo', stream: failed.stream }),
  );
  t.is((JSON.parse(failed.text()) as unknown[]).length, 1);
});

test('--json and --format: json either way; both with different formats is an error', (t) => {
  t.is(outputFormat({ json: true }), 'json');
  t.is(outputFormat({ format: 'markdown' }), 'markdown');
  t.is(outputFormat({}), 'text');
  t.throws(() => outputFormat({ json: true, format: 'github' }), { message: /--json and --format github/ });
});
