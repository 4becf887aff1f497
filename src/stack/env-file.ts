/**
 * Parses env files (`.env`, `--env-file`, a service's `env_file`) the way Compose does:
 * `KEY=value`, optional `export `, `#` comments, 'single quotes' taken literally, "double quotes" with
 * escapes (\n, \t, \", \\) that may span lines, and interpolation in unquoted and double-quoted values
 * (earlier keys of the same file and the given lookup). A bare `KEY` takes its value from the lookup.
 *
 * `env_file: [{ path, format: raw }]` files are read as `docker run --env-file` reads them (parseRawEnvFile):
 * everything after the first `=` is the value, byte for byte — no quotes, escapes, comments or interpolation.
 *
 * Messages never quote the file's text (it may hold secrets, or be a file that is no env file at all): they give
 * the line and column, and at most a variable name that passed the name rules.
 */
import type { Diagnostic } from '../errors.js';
import { interpolate, type InterpolationResult, type Lookup } from './interpolate.js';

export interface EnvFileResult {
  values: Record<string, string>;
  diagnostics: Diagnostic[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export type EnvFileFormat = 'compose' | 'raw';

export function parseEnvFile(
  text: string,
  file: string,
  lookup: Lookup,
  format: EnvFileFormat = 'compose',
): EnvFileResult {
  if (format === 'raw') return parseRawEnvFile(text, file, lookup);
  const values: Record<string, string> = {};
  const p: EnvParse = {
    file,
    lookup,
    resolve: (name) => lookup(name) ?? values[name],
    lines: text.replace(/^\uFEFF/, '').split(/\r?\n/),
    values,
    diagnostics: [],
  };
  for (let index = 0; index < p.lines.length; index++) index = parseEnvLine(p, index);
  return { values, diagnostics: p.diagnostics };
}

/** One parse of a compose env file: its lines, the values so far (later lines may use them), the diagnostics. */
interface EnvParse {
  file: string;
  lookup: Lookup;
  resolve: Lookup;
  lines: string[];
  values: Record<string, string>;
  diagnostics: Diagnostic[];
}

/** Where a value starts, for its diagnostics. */
interface ValueAt {
  key: string;
  line: number;
  column: number;
}

function envError(p: EnvParse, summary: string, line: number, column: number, hint?: string): void {
  p.diagnostics.push({ severity: 'error', summary, where: { file: p.file, line, column }, ...(hint ? { hint } : {}) });
}

/** Parses the line at `index` (a double-quoted value may run over the next ones); returns the index of its last line. */
function parseEnvLine(p: EnvParse, index: number): number {
  const lineNo = index + 1;
  const raw = p.lines[index];
  const indent = raw.length - raw.trimStart().length;
  let line = raw.trim();
  if (!line || line.startsWith('#')) return index;
  let column = indent + 1;
  if (line.startsWith('export ')) {
    line = line.slice(7).trimStart();
    column = raw.indexOf(line) + 1;
  }
  const eq = line.indexOf('=');
  const key = (eq < 0 ? line : line.slice(0, eq)).trim();
  if (!KEY.test(key)) {
    const summary = 'this line is not NAME=VALUE: what stands before = is not a variable name (the line is not shown)';
    envError(p, summary, lineNo, column, 'names start with a letter or _ and hold letters, digits, _, . and -');
    return index;
  }
  if (eq < 0) {
    const inherited = p.lookup(key);
    if (inherited !== undefined) p.values[key] = inherited;
    return index;
  }
  const rest = line.slice(eq + 1).trimStart();
  const at: ValueAt = { key, line: lineNo, column: raw.indexOf(rest, column - 1) + 1 };
  if (rest.startsWith("'")) singleQuoted(p, rest, at);
  else if (rest.startsWith('"')) return doubleQuoted(p, rest, index, at);
  else unquoted(p, rest, at);
  return index;
}

/** 'value': taken as written, up to the next single quote. */
function singleQuoted(p: EnvParse, rest: string, at: ValueAt): void {
  const close = rest.indexOf("'", 1);
  if (close < 0) envError(p, `unterminated single quote in the value of ${at.key}`, at.line, at.column);
  else p.values[at.key] = rest.slice(1, close);
}

/** "value": may span lines; \n, \r, \t, \", \\ and \$ escapes, then interpolated. Returns the index of its last line. */
function doubleQuoted(p: EnvParse, rest: string, index: number, at: ValueAt): number {
  let body = rest.slice(1);
  let close = closingQuote(body);
  while (close < 0 && index + 1 < p.lines.length) {
    index++;
    body += `\n${p.lines[index]}`;
    close = closingQuote(body);
  }
  if (close < 0) {
    envError(p, `unterminated double quote in the value of ${at.key}`, at.line, at.column);
    return index;
  }
  const unescaped = body
    .slice(0, close)
    .replace(/\\([nrt"\\$])/g, (_m, ch: string) =>
      ch === 'n' ? '\n' : ch === 'r' ? '\r' : ch === 't' ? '\t' : ch === '$' ? '$$' : ch,
    );
  interpolated(p, unescaped, at);
  return index;
}

/** value: up to a ` #` comment, trailing blanks dropped, then interpolated. */
function unquoted(p: EnvParse, rest: string, at: ValueAt): void {
  const comment = rest.search(/\s#/);
  interpolated(p, (comment >= 0 ? rest.slice(0, comment) : rest).trimEnd(), at);
}

function interpolated(p: EnvParse, text: string, at: ValueAt): void {
  const result = interpolate(text, p.resolve);
  if (result.error) envError(p, interpolationError(at.key, result), at.line, at.column);
  p.values[at.key] = result.value;
}

/** An interpolation error in a value, without quoting the value. */
function interpolationError(key: string, result: InterpolationResult): string {
  return result.errorKind === 'syntax'
    ? `the value of ${key} holds an invalid \${…} expression (the value is not shown)`
    : (result.error ?? '');
}

function closingQuote(body: string): number {
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\') i++;
    else if (body[i] === '"') return i;
  }
  return -1;
}

/**
 * The `raw` format (`docker run --env-file`): lines whose first non-blank character is `#` and blank lines are
 * skipped; leading blanks are dropped; a line is `NAME=VALUE` with VALUE everything after the first `=`, kept as
 * written (quotes, backslashes, `$`, `#` and trailing blanks included); a bare `NAME` takes its value from the
 * lookup. A name may not be empty or hold blanks.
 */
export function parseRawEnvFile(text: string, file: string, lookup: Lookup): EnvFileResult {
  const values: Record<string, string> = {};
  const diagnostics: Diagnostic[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trimStart();
    if (!line || line.startsWith('#')) return;
    const where = { file, line: index + 1, column: raw.length - line.length + 1 };
    const eq = line.indexOf('=');
    const name = eq < 0 ? line.trimEnd() : line.slice(0, eq);
    if (!name || /\s/.test(name)) {
      diagnostics.push({
        severity: 'error',
        summary: name
          ? 'this line is not NAME=VALUE: what stands before = holds blanks (the line is not shown)'
          : 'a line starts with = and names no variable',
        where,
        hint: 'raw env files hold NAME=VALUE lines, the value taken as written',
      });
      return;
    }
    if (eq >= 0) values[name] = line.slice(eq + 1);
    else {
      const inherited = lookup(name);
      if (inherited !== undefined) values[name] = inherited;
    }
  });
  return { values, diagnostics };
}
