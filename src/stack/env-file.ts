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
  const diagnostics: Diagnostic[] = [];
  const resolve: Lookup = (name) => lookup(name) ?? values[name];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const lineNo = index + 1;
    const raw = lines[index];
    const indent = raw.length - raw.trimStart().length;
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    let column = indent + 1;
    if (line.startsWith('export ')) {
      line = line.slice(7).trimStart();
      column = raw.indexOf(line) + 1;
    }
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (!KEY.test(key)) {
      diagnostics.push({
        severity: 'error',
        summary: 'this line is not NAME=VALUE: what stands before = is not a variable name (the line is not shown)',
        where: { file, line: lineNo, column },
        hint: 'names start with a letter or _ and hold letters, digits, _, . and -',
      });
      continue;
    }
    if (eq < 0) {
      const inherited = lookup(key);
      if (inherited !== undefined) values[key] = inherited;
      continue;
    }
    let rest = line.slice(eq + 1).trimStart();
    const valueColumn = raw.indexOf(rest, column - 1) + 1;
    if (rest.startsWith("'")) {
      const close = rest.indexOf("'", 1);
      if (close < 0) {
        diagnostics.push({
          severity: 'error',
          summary: `unterminated single quote in the value of ${key}`,
          where: { file, line: lineNo, column: valueColumn },
        });
        continue;
      }
      values[key] = rest.slice(1, close);
      continue;
    }
    if (rest.startsWith('"')) {
      let body = rest.slice(1);
      let close = closingQuote(body);
      const startLine = lineNo;
      while (close < 0 && index + 1 < lines.length) {
        index++;
        body += `\n${lines[index]}`;
        close = closingQuote(body);
      }
      if (close < 0) {
        diagnostics.push({
          severity: 'error',
          summary: `unterminated double quote in the value of ${key}`,
          where: { file, line: startLine, column: valueColumn },
        });
        continue;
      }
      const unescaped = body
        .slice(0, close)
        .replace(/\\([nrt"\\$])/g, (_m, ch: string) =>
          ch === 'n' ? '\n' : ch === 'r' ? '\r' : ch === 't' ? '\t' : ch === '$' ? '$$' : ch,
        );
      const result = interpolate(unescaped, resolve);
      if (result.error)
        diagnostics.push({
          severity: 'error',
          summary: interpolationError(key, result),
          where: { file, line: startLine, column: valueColumn },
        });
      values[key] = result.value;
      continue;
    }
    const comment = rest.search(/\s#/);
    if (comment >= 0) rest = rest.slice(0, comment);
    const result = interpolate(rest.trimEnd(), resolve);
    if (result.error)
      diagnostics.push({
        severity: 'error',
        summary: interpolationError(key, result),
        where: { file, line: lineNo, column: valueColumn },
      });
    values[key] = result.value;
  }
  return { values, diagnostics };
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
