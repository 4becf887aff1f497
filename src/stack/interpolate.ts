/**
 * Variable interpolation as the compose-spec defines it: `$A`, `${A}`, `${A:-d}`, `${A-d}`, `${A:+v}`, `${A+v}`,
 * `${A:?msg}`, `${A?msg}` and `$$` for a literal dollar. Defaults and alternatives may themselves hold
 * interpolations (`${A:-${B}}`). An unset variable without a default becomes an empty string and a warning.
 */

export type Lookup = (name: string) => string | undefined;

export interface InterpolationResult {
  value: string;
  /** Variables used without a value or default. */
  unset: string[];
  /** Set for `${A:?msg}` / `${A?msg}` with A missing, and for malformed expressions. */
  error?: string;
  /** What `error` is about: a malformed expression (quoting the text), nesting too deep, or a required variable. */
  errorKind?: 'syntax' | 'depth' | 'required';
}

/** How deep `${A:-${B:-…}}` may nest: far beyond any real file, well within the call stack. */
export const MAX_INTERPOLATION_DEPTH = 32;

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

export function interpolate(text: string, lookup: Lookup): InterpolationResult {
  if (!text.includes('$')) return { value: text, unset: [] };
  const state: InterpolationResult = { value: '', unset: [] };
  state.value = expand(text, 0, text.length, lookup, state, 0);
  return state;
}

function expand(
  text: string,
  start: number,
  end: number,
  lookup: Lookup,
  state: InterpolationResult,
  depth: number,
): string {
  if (depth > MAX_INTERPOLATION_DEPTH) {
    fail(state, 'depth', `invalid interpolation: \${…} expressions nested more than ${MAX_INTERPOLATION_DEPTH} deep`);
    return '';
  }
  let out = '';
  let i = start;
  while (i < end) {
    const c = text[i];
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const close = matchingBrace(text, i + 1, end);
      if (close < 0) {
        fail(state, 'syntax', `invalid interpolation: "${excerpt(text.slice(i, end))}" has no closing brace`);
        return out + text.slice(i, end);
      }
      out += braced(text, i + 2, close, lookup, state, depth);
      i = close + 1;
    } else if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < end && NAME_CHAR.test(text[j])) j++;
      const name = text.slice(i + 1, j);
      const value = lookup(name);
      if (value === undefined) state.unset.push(name);
      out += value ?? '';
      i = j;
    } else {
      // A lone `$` (end of text, or before a character that cannot start a name) stays as written, like Compose.
      out += '$';
      i++;
    }
  }
  return out;
}

/** `text[open]` is `{`; returns the index of its matching `}`, honouring nested `${…}`. */
function matchingBrace(text: string, open: number, end: number): number {
  let depth = 0;
  for (let i = open; i < end; i++) {
    if (text[i] === '$' && text[i + 1] === '$') {
      i++;
      continue;
    }
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function braced(
  text: string,
  start: number,
  end: number,
  lookup: Lookup,
  state: InterpolationResult,
  depth: number,
): string {
  let j = start;
  if (j < end && NAME_START.test(text[j])) while (j < end && NAME_CHAR.test(text[j])) j++;
  const name = text.slice(start, j);
  if (!name) {
    fail(state, 'syntax', `invalid interpolation: "\${${excerpt(text.slice(start, end))}}" needs a variable name`);
    return '';
  }
  if (j === end) {
    const value = lookup(name);
    if (value === undefined) state.unset.push(name);
    return value ?? '';
  }
  const colon = text[j] === ':';
  const op = text[colon ? j + 1 : j];
  const argStart = colon ? j + 2 : j + 1;
  if (op !== '-' && op !== '+' && op !== '?') {
    fail(
      state,
      'syntax',
      `invalid interpolation: "\${${excerpt(text.slice(start, end))}}" (expected \${${name}}, \${${name}:-default}, \${${name}:+alt} or \${${name}:?error})`,
    );
    return '';
  }
  const value = lookup(name);
  // With a colon, an empty value counts as missing; without, only an unset one does.
  const present = colon ? value !== undefined && value !== '' : value !== undefined;
  const arg = () => expand(text, argStart, end, lookup, state, depth + 1);
  if (op === '-') return present ? (value as string) : arg();
  if (op === '+') return present ? arg() : '';
  if (!present) {
    const message = arg();
    fail(
      state,
      'required',
      message ? `${name}: ${message}` : `required variable ${name} is ${colon ? 'missing or empty' : 'missing'}`,
    );
    return '';
  }
  return value as string;
}

/** Records the first error of an interpolation (later ones are consequences of it). */
function fail(state: InterpolationResult, kind: NonNullable<InterpolationResult['errorKind']>, message: string): void {
  if (state.error !== undefined) return;
  state.error = message;
  state.errorKind = kind;
}

/** A long expression shortened for a message. */
function excerpt(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
