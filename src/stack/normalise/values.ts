/** Small conversions shared by the normalisers: the schema has checked shapes, these pick the one form we keep. */
import { isRecord, scalarText } from '../key-path.js';

export function optionalString(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : scalarText(value);
}

/** `a` or `[a, b]` → a list of strings. */
export function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => String(v));
}

/** `["A=1", "B"]` or `{A: 1, B: null}` → entries; a missing value is `undefined`. */
export function keyValueEntries(value: unknown): [string, string | undefined][] {
  if (Array.isArray(value)) {
    return value.map((item) => {
      const text = String(item);
      const eq = text.indexOf('=');
      return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
    });
  }
  if (isRecord(value))
    return Object.entries(value).map(([k, v]) => [k, v === null || v === undefined ? undefined : scalarText(v)]);
  return [];
}

/** Splits a command string like a POSIX shell would into words (quotes and backslashes; no expansion). */
export function shellWords(text: string): string[] | undefined {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else current += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) current += text[++i];
      else current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) return undefined;
  if (inWord) words.push(current);
  return words;
}

/** Index of the list item or key of a map-or-list value naming `name` (`[a, b]`, `["A=1"]`, `{a: …}`). */
export function memberKey(value: unknown, name: string): string | number | undefined {
  if (Array.isArray(value)) {
    const index = value.findIndex((item) => {
      const text = String(item);
      return text === name || text.startsWith(`${name}=`) || text.startsWith(`${name}:`);
    });
    return index >= 0 ? index : undefined;
  }
  return isRecord(value) && name in value ? name : undefined;
}
