/** Loading the stack file for a command: what plan, apply, destroy, status and the others share. */
import { ExitError, hasErrors, type Diagnostic } from '../errors.js';
import type { DesiredState } from '../stack/types.js';
import { loadStack } from '../stack/index.js';
import { stackOptionsFrom, type StackCliOptions } from './stack-options.js';
import { printDiagnostics } from './views/diagnostics.js';
import { operatorWarnings } from './operator.js';

export interface CommonOptions extends StackCliOptions {
  json?: boolean;
  /** `--consul` where the command has it (write commands, status, history). */
  consul?: string;
}

/**
 * Loads the desired state; prints warnings; throws ExitError(1) with every error at once. `checkPolicy: false` for
 * commands that create nothing from the file's services (destroy, status, history, unlock, rollback). `warn` takes
 * the warnings (default: printed on stderr; `--format github|gitlab` annotates them).
 */
export async function loadDesired(
  opts: CommonOptions,
  {
    checkPolicy = true,
    cwd = process.cwd(),
    warn = (ds: Diagnostic[]) => printDiagnostics(ds),
  }: { checkPolicy?: boolean; cwd?: string; warn?: (diagnostics: Diagnostic[]) => void } = {},
): Promise<DesiredState> {
  const result = await loadStack({ ...stackOptionsFrom(opts, cwd), checkPolicy });
  if (!result.value || hasErrors(result.diagnostics)) throw new ExitError(1, result.diagnostics);
  const warnings = [
    ...result.diagnostics.filter((d) => d.severity === 'warning'),
    ...operatorWarnings(result.value, opts.consul),
  ];
  if (warnings.length) warn(warnings);
  return result.value;
}
