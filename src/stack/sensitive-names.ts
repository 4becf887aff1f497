/**
 * Which environment variables of a service are sensitive (issue 14), decided once at load: a name matching the
 * usual patterns, a name the stack file lists in `x-stack.sensitive` (names or glob patterns), or a value that came
 * from a secret source — it holds the value of a variable a top-level secret reads with `environment:`, or its name
 * is that variable's. Matching is case-insensitive. Being sensitive only hides a value (plan, events, labels,
 * revisions): masking too much is safe, too little is not, so a value that merely contains a secret's counts.
 */

/** The usual names of credentials, as globs (case-insensitive). */
export const SENSITIVE_NAME_PATTERNS: readonly string[] = [
  '*PASSWORD*',
  '*PASSWD*',
  '*PASSPHRASE*',
  '*SECRET*',
  '*TOKEN*',
  '*CREDENTIAL*',
  '*PRIVATE*',
  '*APIKEY*',
  '*_KEY',
  'KEY',
  '*_PASS',
];

/** A glob (`*` any run, `?` one character) as an anchored, case-insensitive expression. */
export function globPattern(glob: string): RegExp {
  const body = [...glob]
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'is');
}

/** What makes a variable sensitive beyond its name: the stack file's own patterns, and the secret sources. */
export interface SensitiveSources {
  /** `x-stack.sensitive`: names or glob patterns. */
  patterns: readonly string[];
  /** Variables a top-level secret reads with `environment:`, and their values (absent when unset). */
  secretVariables: ReadonlyMap<string, string | undefined>;
}

/** Decides, for one variable, whether its value is sensitive. */
export type SensitiveRule = (name: string, value: string) => boolean;

export function sensitiveRule(sources: SensitiveSources): SensitiveRule {
  const names = [...SENSITIVE_NAME_PATTERNS, ...sources.patterns].map(globPattern);
  const secretNames = new Set([...sources.secretVariables.keys()].map((n) => n.toUpperCase()));
  const secretValues = [...sources.secretVariables.values()].filter((v): v is string => !!v);
  return (name, value) =>
    names.some((p) => p.test(name)) ||
    secretNames.has(name.toUpperCase()) ||
    secretValues.some((secret) => value.includes(secret));
}

/** The sensitive names of an environment, sorted. */
export function sensitiveNames(environment: Record<string, string>, rule: SensitiveRule): string[] {
  return Object.entries(environment)
    .filter(([name, value]) => rule(name, value))
    .map(([name]) => name)
    .sort();
}
