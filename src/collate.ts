/**
 * The one string order stack sorts by: the default locale's collation, exactly what `a.localeCompare(b)` gives (so
 * config hashes, goldens and output stay as they were), from one Intl.Collator made once instead of one looked up on
 * every call — sorting a host's containers, networks and volumes was a visible share of a 16-host no-op.
 */
const collator = new Intl.Collator();

export const collate: (a: string, b: string) => number = collator.compare;
