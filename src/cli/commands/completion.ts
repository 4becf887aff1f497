/** `stack completion bash|zsh|fish`: prints a completion script made from this very program (src/cli/completion.ts). */
import { Argument, type Command } from 'commander';
import { SHELLS, completionScript, type Shell } from '../completion.js';

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description(
      'Print a shell completion script: source <(stack completion bash), or zsh, or stack completion fish | source',
    )
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(SHELLS))
    .action((shell: Shell) => {
      process.stdout.write(completionScript(program, shell));
    });
}
