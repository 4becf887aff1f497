import { createHash } from 'node:crypto';
/** The `stack` bin (after `npm run build`): exit codes, messages with file:line:col, no stack traces. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { buildProgram } from '../../../src/cli/main.js';
import { writeTree } from './helpers.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const bin = `${repo}bin/stack.js`;

test.before(() => {
  if (!existsSync(`${repo}dist/cli/commands/validate.js`))
    spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: repo, stdio: 'ignore' });
});

function stack(args: string[], cwd: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--', bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', NO_COLOR: '1', ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const good =
  'name: demo\nservices:\n  web:\n    image: busybox:1.35\n    tty: true\n  db:\n    image: busybox:1.35\nvolumes:\n  data: {}\n';
const bad = 'services:\n  web:\n    image: busybox\n    restart: sometimes\n    depends_on: [ghost]\n';

test('validate: a valid file exits 0 with a one-line summary; warnings go to stderr', (t) => {
  const dir = writeTree({ 'compose.yaml': good });
  const r = stack(['validate'], dir, { DOCKER_HOST: 'unix:///var/run/docker.sock' });
  t.is(r.code, 0);
  t.is(r.stdout, 'OK demo: 2 services, 1 network, 1 volume, 1 host (from DOCKER_HOST)\n');
  t.regex(r.stderr, /^warning: compose\.yaml:5:5 services\.web\.tty: tty is ignored/);
});

test('validate: an invalid file exits 1, every error with file:line:col, no stack trace', (t) => {
  const dir = writeTree({ 'compose.yaml': bad });
  const r = stack(['validate', '-f', 'compose.yaml'], dir);
  t.is(r.code, 1);
  t.is(r.stdout, '');
  t.regex(r.stderr, /error: compose\.yaml:4:14 services\.web\.restart: must be no, always/);
  t.regex(r.stderr, /error: compose\.yaml:5:18 services\.web\.depends_on\[0\]: service web depends on ghost/);
  t.notRegex(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/);
});

test('validate --json prints diagnostics as JSON', (t) => {
  const dir = writeTree({ 'compose.yaml': bad });
  const r = stack(['validate', '--json'], dir);
  t.is(r.code, 1);
  const doc = JSON.parse(r.stdout) as {
    valid: boolean;
    diagnostics: { severity: string; file: string; line: number; column: number; path: string }[];
  };
  t.false(doc.valid);
  t.like(doc.diagnostics[0], {
    severity: 'error',
    file: 'compose.yaml',
    line: 4,
    column: 14,
    path: 'services.web.restart',
  });
  const ok = stack(['validate', '--json'], writeTree({ 'compose.yaml': good }));
  t.is(ok.code, 0);
  t.like(JSON.parse(ok.stdout), { valid: true, stack: 'demo', services: 2 });
});

test('validate --format github: every diagnostic a workflow annotation with file, line and col', (t) => {
  const failed = stack(['validate', '--format', 'github'], writeTree({ 'compose.yaml': bad }));
  t.is(failed.code, 1);
  const lines = failed.stdout.trim().split('\n');
  t.true(lines.length >= 2, failed.stdout);
  for (const l of lines) t.regex(l, /^::error file=compose\.yaml,line=\d+,col=\d+,title=stack::\S/);
  t.regex(failed.stderr, /^error: \d+ errors \(written on stdout as workflow annotations\)\n$/);
  const warned = stack(['validate', '--format', 'github'], writeTree({ 'compose.yaml': good }), {
    DOCKER_HOST: 'unix:///var/run/docker.sock',
  });
  t.is(warned.code, 0, warned.stderr);
  t.regex(
    warned.stdout,
    /^::warning file=compose\.yaml,line=5,col=5,title=stack::tty is ignored.*\(services\.web\.tty\)\n/,
  );
  t.regex(warned.stdout, /\nOK demo: 2 services/);
});

test('validate --format gitlab: a Code Quality report on stdout, empty for a valid stack', (t) => {
  const failed = stack(['validate', '--format', 'gitlab'], writeTree({ 'compose.yaml': bad }));
  t.is(failed.code, 1);
  const report = JSON.parse(failed.stdout) as {
    severity: string;
    location: { path: string; lines: { begin: number } };
  }[];
  t.true(report.length >= 2);
  for (const issue of report) t.like(issue, { severity: 'major', location: { path: 'compose.yaml' } });
  const ok = stack(
    ['validate', '--format', 'gitlab'],
    writeTree({ 'compose.yaml': good.replace('    tty: true\n', '') }),
    {
      DOCKER_HOST: 'unix:///var/run/docker.sock',
    },
  );
  t.is(ok.code, 0, ok.stderr);
  t.deepEqual(JSON.parse(ok.stdout), []);
  const both = stack(['validate', '--json', '--format', 'gitlab'], writeTree({ 'compose.yaml': good }));
  t.is(both.code, 1);
  t.regex(both.stderr, /--json and --format gitlab ask for two outputs/);
});

test('completion: a script per shell on stdout; another shell is refused with the choices', (t) => {
  const dir = writeTree({});
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = stack(['completion', shell], dir);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /stack completion for /, shell);
  }
  const bad = stack(['completion', 'tcsh'], dir);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /'tcsh' is invalid for argument 'shell'\. Allowed choices are bash, zsh, fish/);
});

test('config prints the normalised YAML with secrets masked', (t) => {
  const dir = writeTree({
    'compose.yaml': `${good.replace('tty: true', 'tty: true\n    environment: { DB_PASSWORD: hunter3, RELEASE: v1 }')}secrets:\n  pw: { file: pw.txt }\n`,
    'pw.txt': 'hunter2',
  });
  const r = stack(['config', '-p', 'other'], dir);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^name: other\n/);
  t.regex(r.stdout, /DB_PASSWORD: \(sensitive\)/);
  t.regex(r.stdout, /RELEASE: v1/);
  t.false(r.stdout.includes('contentHash'));
  for (const marker of ['hunter2', 'hunter3', createHash('sha256').update('hunter2').digest('hex')])
    t.false(r.stdout.includes(marker), marker);
});

test('shared options: -f repeated, --env-file, --profile, -i', (t) => {
  const dir = writeTree({
    'base.yaml': 'services:\n  web:\n    image: "busybox:${TAG}"\n  dbg:\n    image: busybox\n    profiles: [debug]\n',
    'prod.yaml': 'services:\n  web:\n    hostname: prod\n',
    'prod.env': 'TAG=9.9\n',
    'inv.yaml': 'hosts:\n  h1: { endpoint: "unix:///tmp/h1.sock" }\n  h2: { endpoint: "unix:///tmp/h2.sock" }\n',
  });
  const r = stack(
    ['config', '-f', 'base.yaml', '-f', 'prod.yaml', '--env-file', 'prod.env', '--profile', 'debug', '-i', 'inv.yaml'],
    dir,
  );
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /image: busybox:9\.9/);
  t.regex(r.stdout, /hostname: prod/);
  t.regex(r.stdout, /\n {2}dbg:\n/);
  t.regex(r.stdout, /hostsSource: inventory/);
});

test('a missing file exits 1 with a message; --help works on every command', (t) => {
  const dir = writeTree({});
  const r = stack(['validate', '-f', 'nope.yaml'], dir);
  t.is(r.code, 1);
  t.regex(r.stderr, /stack file nope\.yaml does not exist/);
  for (const command of ['validate', 'config']) {
    const help = stack([command, '--help'], dir);
    t.is(help.code, 0);
    t.regex(
      help.stdout,
      /--file <path>[\s\S]*--project-name[\s\S]*--inventory[\s\S]*--env-file[\s\S]*--profile[\s\S]*Exit codes/,
    );
  }
});

test('a reader that closes the pipe early (`stack config | head -c 1`): exit 0, no stack trace', (t) => {
  // more than a pipe's buffer (64 KiB) of output, so the write after the reader left fails for sure
  const services = Array.from(
    { length: 400 },
    (_, i) => `  s${i}:\n    image: busybox:1.35\n    environment: { A: "${'x'.repeat(100)}" }\n`,
  ).join('');
  const dir = writeTree({ 'compose.yaml': `name: big\nservices:\n${services}` });
  const r = spawnSync(
    'bash',
    ['-c', `"${process.execPath}" "${bin}" config | head -c 1 >/dev/null; echo "exit=\${PIPESTATUS[0]}"`],
    {
      cwd: dir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        HOME: '/nonexistent',
        NO_COLOR: '1',
        DOCKER_HOST: 'unix:///var/run/docker.sock',
      },
    },
  );
  t.is(r.stdout.trim(), 'exit=0', r.stderr);
  t.notRegex(r.stderr, /EPIPE|at .*\.js:\d+/);
});

test('--help on every command lists its options and the exit codes; stack --help lists every command', (t) => {
  const dir = writeTree({});
  const names = buildProgram().commands.map((c) => c.name());
  t.deepEqual([...names].sort(), [
    'apply',
    'build',
    'completion',
    'config',
    'daemon',
    'destroy',
    'events',
    'exec',
    'history',
    'hosts',
    'logs',
    'plan',
    'ps',
    'reconcile',
    'rollback',
    'status',
    'unlock',
    'validate',
  ]);
  const top = stack(['--help'], dir);
  t.is(top.code, 0);
  for (const name of names) t.regex(top.stdout, new RegExp(`\\n  ${name}\\b`), name);
  // `hosts` is a group: its subcommand `hosts check` is the command with options. `completion` and `daemon` read no
  // stack (the daemon runs other commands, each with its own -f and -i).
  for (const name of names
    .filter((n) => n !== 'completion' && n !== 'daemon')
    .map((n) => (n === 'hosts' ? 'hosts check' : n))) {
    const help = stack([...name.split(' '), '--help'], dir);
    t.is(help.code, 0, name);
    t.is(help.stderr, '', name);
    t.regex(help.stdout, new RegExp(`^Usage: stack ${name} `), name);
    // reconcile reads its stacks from a repository: no -f, but the operator's -i
    if (name === 'reconcile') t.regex(help.stdout, /--repo <url>[\s\S]*--stack <dir>[\s\S]*-i, --inventory <path>/);
    else t.regex(help.stdout, /-f, --file <path>[\s\S]*-i, --inventory <path>/, name);
    t.regex(
      help.stdout,
      /\nExit codes:\n {2}0 {2}success[^\n]*\n {2}1 {2}error[^\n]*\n {2}2 {2}plan --detailed-exitcode only: the plan has changes\n {2}130 interrupted/,
      name,
    );
  }
  t.true(
    stack(['plan', '--help'], dir)
      .stdout.replace(/\s+/g, ' ')
      .includes('--detailed-exitcode exit 0 when there are no changes, 2 when there are, 1 on error'),
  );
});

test('STACK_INVENTORY stands in for -i', (t) => {
  const dir = writeTree({
    'compose.yaml': good,
    'env/inv.yaml': 'hosts:\n  h7: { endpoint: "unix:///tmp/h7.sock" }\n',
  });
  const r = stack(['config'], dir, { STACK_INVENTORY: 'env/inv.yaml', DOCKER_HOST: 'unix:///var/run/docker.sock' });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /hostsSource: inventory\n/);
  t.regex(r.stdout, /name: h7\n/);
  const missing = stack(['validate'], dir, { STACK_INVENTORY: 'env/none.yaml' });
  t.is(missing.code, 1);
  t.regex(missing.stderr, /inventory file env\/none\.yaml does not exist/);
});

test('hostile input: validate and plan exit 1 with the error and where, no stack trace, no file content', (t) => {
  const dir = writeTree({
    'compose.yaml': 'services:\n  web:\n    image: busybox:1.35\n    env_file: ../../../../../etc/passwd\n',
    'inv.yaml': 'hosts:\n  h1: { endpoint: "unix:///nonexistent/h1.sock" }\n',
  });
  for (const command of [['validate'], ['plan', '-i', 'inv.yaml']]) {
    const r = stack(command, dir);
    t.is(r.code, 1, r.stderr);
    t.regex(
      r.stderr,
      /^error: compose\.yaml:4:15 services\.web\.env_file: env_file \.\.\/\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd is outside the project folder /,
    );
    t.notRegex(r.stderr, /root:|\n\s+at .*:\d+:\d+/);
    t.notRegex(r.stderr, /h1\.sock|unreachable/);
  }
});

test('--max-replicas and --max-containers raise the caps; a bad value is an error', (t) => {
  const dir = writeTree({
    'compose.yaml': 'services:\n  web:\n    image: busybox:1.35\n    deploy: { replicas: 1200 }\n',
  });
  const env = { DOCKER_HOST: 'unix:///var/run/docker.sock' };
  const capped = stack(['validate'], dir, env);
  t.is(capped.code, 1);
  t.regex(
    capped.stderr,
    /^error: compose\.yaml:4:25 services\.web\.deploy\.replicas: service web asks for 1200 replicas; the limit is 1000\n {2}hint: lower deploy\.replicas, or raise the limit with --max-replicas N/,
  );
  t.is(stack(['validate', '--max-replicas', '2000'], dir, env).code, 0);
  const total = stack(['validate', '--max-replicas', '2000', '--max-containers', '1000'], dir, env);
  t.is(total.code, 1);
  t.regex(total.stderr, /the stack asks for more than 1000 containers \(service web brings it to 1200\)/);
  const bad = stack(['validate', '--max-containers', 'lots'], dir, env);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /--max-containers.*must be a whole number/);
});

test('--env-file naming a FIFO is refused without blocking (node is run with --, so it does not open the file itself)', (t) => {
  const dir = writeTree({ 'compose.yaml': 'services:\n  web:\n    image: busybox:1.35\n' });
  spawnSync('mkfifo', [`${dir}/vars.env`]);
  const r = stack(['validate', '--env-file', 'vars.env'], dir);
  t.is(r.code, 1);
  t.is(
    r.stderr,
    'error: vars.env: env file vars.env is not a regular file (it is a FIFO)\n  hint: name a regular file\n',
  );
});

test('events --since refuses what is not a time, before any host is asked: exit 1 saying what to give', (t) => {
  const r = stack(['events', '--since', 'yesterday'], writeTree({}));
  t.is(r.code, 1);
  t.regex(
    r.stderr,
    /--since <time>' argument 'yesterday' is invalid\. give a duration \(10m, 1h30m\), an RFC 3339 time/,
  );
  t.is(r.stdout, '');
});
