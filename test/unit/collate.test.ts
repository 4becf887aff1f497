/**
 * collate() against ICU's root collation (Intl.Collator for `en`, what localeCompare gave under an English locale):
 * every pair of printable ASCII characters, random strings that share prefixes and differ in case or punctuation,
 * and strings with other characters (which go to ICU itself). A difference would reorder config hashes and replace
 * containers, so the comparison is exhaustive where it can be.
 */
import test from 'ava';
import { collate } from '../../src/collate.js';

const icu = new Intl.Collator('en');
const sign = (n: number) => Math.sign(n);
const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));

/** A small deterministic generator (mulberry32), so a failure names a reproducible pair. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('every pair of printable ASCII characters, alone and after a common prefix, sorts as ICU sorts it', (t) => {
  let checked = 0;
  for (const a of PRINTABLE)
    for (const b of PRINTABLE)
      for (const [x, y] of [
        [a, b],
        [`app-${a}`, `app-${b}`],
        [`${a}x`, `${b}`],
        [`${a}Z`, `${b}z`],
      ]) {
        if (sign(collate(x, y)) !== sign(icu.compare(x, y))) t.fail(`${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
        checked++;
      }
  t.is(checked, PRINTABLE.length ** 2 * 4);
});

test('random strings: same order as ICU, including case-only differences and prefixes', (t) => {
  const next = random(20);
  const alphabet = 'aAbBzZ09_-./:@ ~$';
  const word = () =>
    Array.from({ length: Math.floor(next() * 7) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  for (let i = 0; i < 50_000; i++) {
    const a = word();
    const b = next() < 0.3 ? a + word() : next() < 0.5 ? a.toUpperCase() : word();
    if (sign(collate(a, b)) !== sign(icu.compare(a, b))) t.fail(`${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  t.pass();
});

test('strings with other characters go to ICU: accents, other scripts, control characters', (t) => {
  const cases = [
    ['resume', 'résumé'],
    ['résumé', 'resumes'],
    ['a\u0301', 'b'],
    ['a\tb', 'a b'],
    ['a\u0000b', 'ab'],
    ['straße', 'strasse'],
    ['app-ü', 'app-u'],
    ['Ωmega', 'omega'],
    ['x', 'x\u0300'],
  ];
  for (const [a, b] of cases) {
    t.is(sign(collate(a, b)), sign(icu.compare(a, b)), `${a} vs ${b}`);
    t.is(sign(collate(b, a)), sign(icu.compare(b, a)), `${b} vs ${a}`);
  }
  t.deepEqual(['b', 'a-1', 'A', 'a_1', 'a'].sort(collate), ['a', 'A', 'a_1', 'a-1', 'b']);
});

test('random strings with other characters after an ASCII part: same order as ICU', (t) => {
  const next = random(7);
  const ascii = 'aAbB0_-.';
  const other = ['\u0301', 'é', 'ß', '\t', '\u0000', 'Ω', '\u200b', 'ﬁ', 'ǆ'];
  const pick = (s: string | string[]) => s[Math.floor(next() * s.length)];
  const word = () =>
    Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(ascii)).join('') +
    Array.from({ length: Math.floor(next() * 3) }, () => (next() < 0.5 ? pick(other) : pick(ascii))).join('');
  for (let i = 0; i < 50_000; i++) {
    const [a, b] = [word(), word()];
    if (sign(collate(a, b)) !== sign(icu.compare(a, b))) t.fail(`${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  t.pass();
});
