/** `stack config`: print the normalised desired state as YAML, or JSON with --json (secrets masked); contacts no host. */
import type { Command } from 'commander';
import { ExitError, hasErrors } from '../../errors.js';
import { loadStack } from '../../stack/index.js';
import { addStackOptions, stackOptionsFrom, type StackCliOptions } from '../stack-options.js';
import { printConfig } from '../views/config.js';
import { printDiagnostics } from '../views/diagnostics.js';

export async function runConfig(
  options: StackCliOptions & { json?: boolean },
  cwd?: string,
  env?: Record<string, string | undefined>,
): Promise<void> {
  const result = await loadStack(stackOptionsFrom(options, cwd, env));
  if (!result.value || hasErrors(result.diagnostics)) throw new ExitError(1, result.diagnostics);
  const warnings = result.diagnostics.filter((d) => d.severity === 'warning');
  if (warnings.length) printDiagnostics(warnings);
  printConfig(result.value, options.json === true);
}

export function registerConfig(program: Command): void {
  const command = program
    .command('config')
    .description(
      'Print the normalised stack (defaults filled in, durations in ns, sizes in bytes) as YAML; secrets are masked',
    );
  command.option('--json', 'print it as JSON (the same data)');
  addStackOptions(command).action(async (options: StackCliOptions & { json?: boolean }) => runConfig(options));
}
