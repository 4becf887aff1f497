/** Prints diagnostics for people: `error: file:line:col path: summary`, then hint and detail. */
import pc from 'picocolors';
import { formatLocation, type Diagnostic } from '../../errors.js';
import { useColor } from './color.js';

export function formatDiagnostic(d: Diagnostic, color = false): string {
  const c = pc.createColors(color);
  const label = d.severity === 'error' ? c.red(c.bold('error')) : c.yellow(c.bold('warning'));
  const where = formatLocation(d.where);
  let text = `${label}: ${where ? `${where}: ` : ''}${d.summary}`;
  if (d.detail) text += `\n  ${d.detail.split('\n').join('\n  ')}`;
  if (d.hint) text += `\n  ${c.dim('hint:')} ${d.hint}`;
  return text;
}

export function printDiagnostics(
  diagnostics: readonly Diagnostic[],
  stream: NodeJS.WriteStream = process.stderr,
): void {
  const color = useColor(stream);
  for (const d of diagnostics) stream.write(`${formatDiagnostic(d, color)}\n`);
}
