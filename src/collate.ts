/**
 * The one string order stack sorts by — config hashes, plans, output: the Unicode root collation (CLDR's, as English
 * uses it), whatever the machine's locale. For printable ASCII, which is nearly every name, path and key stack
 * sorts, it is computed here from the root order of those 95 characters; anything else goes to ICU's collator for
 * `en`, made on first need. This is exactly what `a.localeCompare(b)` gave under an English locale (a unit test
 * checks every pair of characters and random strings against ICU), so hashes made before stay the same; and it no
 * longer changes with the locale (under Danish, `aa` sorted after `z`), nor loads ICU's collation data (≈ 10 ms of a
 * no-op) when every string is ASCII.
 */

/** Printable ASCII in the root collation's order; an uppercase letter differs from its lowercase one at the third level only. */
const ROOT_ORDER = ` _-,;:!?.'"()[]{}@*/\\&#%\`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz`;

/** Primary weight of each printable ASCII code (uppercase as its lowercase letter); 0 for every other code. */
const PRIMARY = new Uint8Array(128);
for (let i = 0; i < ROOT_ORDER.length; i++) PRIMARY[ROOT_ORDER.charCodeAt(i)] = i + 1;
for (let c = 0x41; c <= 0x5a; c++) PRIMARY[c] = PRIMARY[c + 0x20];

const isUpper = (c: number) => c >= 0x41 && c <= 0x5a;

let icu: Intl.Collator | undefined;

/** Negative, zero or positive as `a` sorts before, with or after `b`. */
export function collate(a: string, b: string): number {
  const ascii = compareAscii(a, b);
  if (ascii !== undefined) return ascii;
  icu ??= new Intl.Collator('en');
  return icu.compare(a, b);
}

/**
 * The root collation of two printable-ASCII strings: the first difference of primary weights decides; with none,
 * the shorter string first; with the same length, the first case difference (lowercase first). Undefined when either
 * string has another character.
 */
function compareAscii(a: string, b: string): number | undefined {
  const n = Math.min(a.length, b.length);
  let tertiary = 0;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    const px = x < 128 ? PRIMARY[x] : 0;
    const py = y < 128 ? PRIMARY[y] : 0;
    if (!px || !py) return undefined;
    if (px !== py) return px < py ? -1 : 1;
    if (!tertiary && x !== y) tertiary = isUpper(x) ? 1 : -1;
  }
  if (!asciiFrom(a, n) || !asciiFrom(b, n)) return undefined;
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return tertiary;
}

/** Every character of `s` from `start` on is printable ASCII. */
function asciiFrom(s: string, start: number): boolean {
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || !PRIMARY[c]) return false;
  }
  return true;
}
