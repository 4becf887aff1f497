/**
 * Diagnostics for CI systems (`--format github|gitlab` on validate and plan). Pure.
 * - github: workflow commands, one line each: `::error file=F,line=L,col=C,title=T::message` (properties and the
 *   message escaped as the runner expects: % CR LF, and , : in properties). GitHub shows them on the file's line.
 * - gitlab: a Code Quality report (a JSON array: description, check_name, fingerprint, severity, location.path and
 *   location.lines.begin), the artifact `artifacts:reports:codequality` reads.
 * Files are named relative to the working directory when inside it (both systems want repository paths).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { formatLocation, type Diagnostic } from '../../errors.js';

/** The file as a repository path: relative to `cwd` when inside it, else as given. */
export function repoPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, path.resolve(cwd, file));
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
}

const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** The message a CI annotation shows: the summary, then where in the stack (key path, host), then the hint. */
function message(d: Diagnostic): string {
  const inside = formatLocation({ path: d.where?.path, host: d.where?.host });
  return `${d.summary}${inside ? ` (${inside})` : ''}${d.hint ? `\nhint: ${d.hint}` : ''}`;
}

export function githubAnnotation(d: Diagnostic, cwd: string): string {
  const props: string[] = [];
  const w = d.where;
  if (w?.file) props.push(`file=${escapeProperty(repoPath(w.file, cwd))}`);
  if (w?.file && w.line !== undefined) props.push(`line=${w.line}`);
  if (w?.file && w.line !== undefined && w.column !== undefined) props.push(`col=${w.column}`);
  props.push(`title=${escapeProperty(d.rule ? `stack: ${d.rule}` : 'stack')}`);
  return `::${d.severity === 'error' ? 'error' : 'warning'} ${props.join(',')}::${escapeData(message(d))}`;
}

export function githubAnnotations(diagnostics: readonly Diagnostic[], cwd: string): string {
  return diagnostics.map((d) => `${githubAnnotation(d, cwd)}\n`).join('');
}

export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: 'info' | 'minor' | 'major' | 'critical' | 'blocker';
  location: { path: string; lines: { begin: number } };
}

export function gitlabIssue(d: Diagnostic, cwd: string): CodeQualityIssue {
  const file = d.where?.file ? repoPath(d.where.file, cwd) : d.where?.host ? `host ${d.where.host}` : 'stack';
  const line = d.where?.line ?? 1;
  const description = message(d).replace(/\n/g, ' ');
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([file, line, d.where?.column ?? null, d.where?.path ?? null, d.summary]))
    .digest('hex');
  return {
    description,
    check_name: d.rule ? `stack-${d.rule}` : 'stack',
    fingerprint,
    severity: d.severity === 'error' ? 'major' : 'minor',
    location: { path: file, lines: { begin: line } },
  };
}

export function gitlabReport(diagnostics: readonly Diagnostic[], cwd: string): string {
  return `${JSON.stringify(
    diagnostics.map((d) => gitlabIssue(d, cwd)),
    null,
    2,
  )}\n`;
}
