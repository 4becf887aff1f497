/**
 * Shell completion (issue 17): the bash script generated from the real program, sourced in bash, registers itself
 * (`complete -p`) and completes a command, an option, an option's choices, a subcommand and an argument's choices;
 * the fish script has a line per command and option, taken from the same program.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { buildProgram } from '../../../src/cli/main.js';
import { completionScript } from '../../../src/cli/completion.js';

const script = path.join(mkdtempSync(path.join(os.tmpdir(), 'stack-completion-')), 'stack.bash');
writeFileSync(script, completionScript(buildProgram(), 'bash'));

/** What bash completes for the words typed (the last one is being completed). */
function complete(...words: string[]): string[] {
  const array = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync(
    'bash',
    [
      '--norc',
      '-c',
      `source "$1"; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _stack_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
      'bash',
      script,
    ],
    { encoding: 'utf8', cwd: os.tmpdir() },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

test('sourced in bash, the script registers its function for stack', (t) => {
  const r = spawnSync('bash', ['--norc', '-c', 'source "$1"; complete -p stack', 'bash', script], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.trim(), 'complete -o filenames -F _stack_complete stack');
});

test('bash completes commands, options, choices and subcommands from the program', (t) => {
  t.deepEqual(complete('stack', 'pl'), ['plan']);
  t.deepEqual(complete('stack', 'plan', '--for'), ['--format']);
  t.deepEqual(complete('stack', 'plan', '--detailed'), ['--detailed-exitcode']);
  t.deepEqual(complete('stack', 'plan', '--format', 'gi'), ['github', 'gitlab']);
  t.deepEqual(complete('stack', 'validate', '--format', ''), ['github', 'gitlab', 'json', 'text']);
  t.deepEqual(complete('stack', '-f', 'x.yaml', 'apply', '--pl'), ['--plan']);
  t.deepEqual(complete('stack', 'hosts', 'ch'), ['check']);
  t.deepEqual(complete('stack', 'hosts', 'check', '--ti'), ['--timeout']);
  t.deepEqual(complete('stack', 'completion', 'f'), ['fish']);
  t.true(complete('stack', '').includes('completion'));
});

test('every command of the program is in the scripts: nothing is kept by hand', (t) => {
  const program = buildProgram();
  const bash = completionScript(program, 'bash');
  const fish = completionScript(program, 'fish');
  for (const c of program.commands) {
    t.true(bash.includes(`'${c.name()}'`), `bash: ${c.name()}`);
    t.true(fish.includes(`-n '__fish_use_subcommand' -a ${c.name()} `), `fish: ${c.name()}`);
  }
  t.regex(fish, /-n '__fish_seen_subcommand_from plan' -l format -x -a 'text json markdown github gitlab'/);
  t.regex(fish, /-n '__fish_seen_subcommand_from plan' -s o -l out -r/);
  t.regex(fish, /-n '__fish_seen_subcommand_from hosts; and not __fish_seen_subcommand_from check' -a check /);
  const zsh = completionScript(program, 'zsh');
  t.regex(zsh, /^#compdef stack\n/);
  t.true(zsh.includes('bashcompinit') && zsh.includes('complete -o filenames -F _stack_complete stack'));
});
