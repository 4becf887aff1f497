/**
 * `--format` of validate and plan: text (default), json (= --json), markdown (plan only), github, gitlab. The CI
 * formats change where diagnostics go: github writes each as a workflow annotation on stdout as it comes; gitlab
 * gathers them into one Code Quality report written on stdout when the command ends (so stdout is the artifact).
 */
import { Option } from 'commander';
import { ExitError, type Diagnostic } from '../errors.js';
import { printDiagnostics } from './views/diagnostics.js';
import { githubAnnotations, gitlabReport } from './views/annotations.js';

export const OUTPUT_FORMATS = ['text', 'json', 'markdown', 'github', 'gitlab'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function formatOption(formats: readonly OutputFormat[]): Option {
  return new Option('--format <format>', `output format: ${formats.join(', ')} (default text)`).choices(formats);
}

/** The format chosen: --format, else json with --json, else text. */
export function outputFormat(opts: { format?: OutputFormat; json?: boolean }): OutputFormat {
  if (opts.format && opts.json && opts.format !== 'json')
    throw new ExitError(1, [
      {
        severity: 'error',
        summary: `--json and --format ${opts.format} ask for two outputs`,
        hint: 'give one of them',
      },
    ]);
  return opts.format ?? (opts.json ? 'json' : 'text');
}

export const isCiFormat = (f: OutputFormat): f is 'github' | 'gitlab' => f === 'github' || f === 'gitlab';

/**
 * Runs `fn` with a sink for warnings. In a CI format, the warnings and the diagnostics of an ExitError that ends
 * `fn` are written in that format on stdout, and the ExitError is replaced by one line saying where they went;
 * otherwise warnings are printed on stderr and errors go their usual way.
 */
export async function withDiagnosticsIn<T>(
  format: OutputFormat,
  fn: (warn: (diagnostics: Diagnostic[]) => void) => Promise<T>,
  { cwd = process.cwd(), stream = process.stdout }: { cwd?: string; stream?: NodeJS.WritableStream } = {},
): Promise<T> {
  if (!isCiFormat(format)) return fn((ds) => printDiagnostics(ds));
  const gathered: Diagnostic[] = [];
  const add = (ds: readonly Diagnostic[]) =>
    format === 'github' ? stream.write(githubAnnotations(ds, cwd)) : gathered.push(...ds);
  try {
    return await fn(add);
  } catch (err) {
    if (!(err instanceof ExitError) || !err.diagnostics.length) throw err;
    add(err.diagnostics);
    const errors = err.diagnostics.filter((d) => d.severity === 'error').length;
    throw new ExitError(err.exitCode, [
      {
        severity: 'error',
        summary: `${errors} error${errors === 1 ? '' : 's'} (written on stdout as ${format === 'github' ? 'workflow annotations' : 'a GitLab Code Quality report'})`,
      },
    ]);
  } finally {
    if (format === 'gitlab') stream.write(gitlabReport(gathered, cwd));
  }
}
