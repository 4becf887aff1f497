/**
 * The plan as Markdown (`stack plan --format markdown`), for a pull-request comment or a CI job summary: the summary
 * line as a heading, one table row per change, the plan text in a folded block, diagnostics as a list. Pure.
 */
import { formatLocation, type Diagnostic } from '../../errors.js';
import { planText, summaryLine } from '../../plan/text.js';
import { ACTION_SYMBOL, type Plan, type ResourceChange } from '../../plan/types.js';

/** A table cell: pipes escaped, one line. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Inline code that holds any text: a fence one backtick longer than the longest run inside. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${longest ? ` ${text} ` : text}${fence}`;
}

function changeRow(c: ResourceChange): string {
  const host = c.allHosts ? 'all hosts' : c.host;
  const what = c.type === 'container' ? c.name : `${c.type} ${c.name}`;
  return `| ${ACTION_SYMBOL[c.action]} ${c.action} | ${cell(host)} | ${cell(code(what))} | ${cell(c.cause)} |`;
}

function diagnosticLine(d: Diagnostic): string {
  const where = formatLocation(d.where);
  return `- **${d.severity}**: ${where ? `${code(where)}: ` : ''}${d.summary.replace(/\r?\n/g, ' ')}${d.hint ? ` (hint: ${d.hint})` : ''}`;
}

export interface MarkdownOptions {
  /** The saved plan file, named so a reviewer knows what an apply of it will run. */
  savedTo?: string;
}

export function planMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const lines = [`### ${summaryLine(plan)}`, ''];
  if (options.savedTo)
    lines.push(`Saved plan: ${code(options.savedTo)} (apply exactly it with \`stack apply ${options.savedTo}\`)`, '');
  if (plan.changes.length) {
    lines.push('| action | host | object | cause |', '| --- | --- | --- | --- |', ...plan.changes.map(changeRow), '');
    const text = planText(plan);
    const fence = '`'.repeat(Math.max(3, ...(text.match(/`+/g) ?? []).map((r) => r.length + 1)));
    lines.push('<details><summary>Plan</summary>', '', `${fence}text`, text.trimEnd(), fence, '', '</details>', '');
  }
  if (plan.diagnostics.length) lines.push('**Diagnostics**', '', ...plan.diagnostics.map(diagnosticLine), '');
  return `${lines.join('\n')}`;
}
