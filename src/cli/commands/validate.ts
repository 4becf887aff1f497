/**
 * `stack validate`: load and check the stack file(s) without contacting any host. Exit 0 when valid, 1 otherwise.
 * `--format github|gitlab` writes the diagnostics for CI (workflow annotations, a Code Quality report) on stdout.
 */
import type { Command } from 'commander';
import { ExitError, hasErrors } from '../../errors.js';
import { loadStack } from '../../stack/index.js';
import { addStackOptions, stackOptionsFrom, type StackCliOptions } from '../stack-options.js';
import { printDiagnostics } from '../views/diagnostics.js';
import { printValidateJson, printValidateSummary } from '../views/validate.js';
import { formatOption, isCiFormat, outputFormat, withDiagnosticsIn, type OutputFormat } from '../output-format.js';

export interface ValidateOptions extends StackCliOptions {
  json?: boolean;
  format?: OutputFormat;
}

function invalidSummary(diagnostics: ExitError['diagnostics'], where: string): ExitError {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return new ExitError(1, [
    { severity: 'error', summary: `the stack is invalid: ${errors} error${errors === 1 ? '' : 's'} (${where})` },
  ]);
}

export async function runValidate(
  options: ValidateOptions,
  cwd?: string,
  env?: Record<string, string | undefined>,
): Promise<void> {
  const format = outputFormat(options);
  const result = await loadStack(stackOptionsFrom(options, cwd, env));
  const failed = !result.value || hasErrors(result.diagnostics);
  if (format === 'json') {
    printValidateJson(failed ? undefined : result.value, result.diagnostics);
    if (failed) throw invalidSummary(result.diagnostics, 'listed in the JSON on stdout');
    return;
  }
  if (isCiFormat(format)) {
    return withDiagnosticsIn(
      format,
      (warn) => {
        if (failed) return Promise.reject(new ExitError(1, result.diagnostics));
        warn(result.diagnostics);
        if (format === 'github') printValidateSummary(result.value!);
        return Promise.resolve();
      },
      { cwd },
    );
  }
  if (failed) throw new ExitError(1, result.diagnostics);
  const warnings = result.diagnostics.filter((d) => d.severity === 'warning');
  if (warnings.length) printDiagnostics(warnings);
  printValidateSummary(result.value!);
}

export function registerValidate(program: Command): void {
  const command = program
    .command('validate')
    .description('Check the stack file(s): syntax, schema, references, placement and port clashes; contacts no host')
    .option('--json', 'print the result and every diagnostic as JSON on stdout (= --format json)')
    .addOption(formatOption(['text', 'json', 'github', 'gitlab']));
  addStackOptions(command).action(async (options: ValidateOptions) => runValidate(options));
}
