/**
 * The order of a service's slots (`2` before `10`; a global service's slots are host names). Pure.
 * Replicated slots are decimal numbers and compare as numbers; anything else goes to one ICU collator with numeric
 * ordering, made on first use: creating it loads ICU's collation data (≈ 7 ms, most of a no-op's planner start), which
 * a plan of replicated services only never needs.
 */
const DECIMAL = /^[1-9][0-9]{0,14}$/;

let collator: Intl.Collator | undefined;

export function bySlotNumber(a: string, b: string): number {
  if (DECIMAL.test(a) && DECIMAL.test(b)) return Number(a) - Number(b);
  collator ??= new Intl.Collator(undefined, { numeric: true });
  return collator.compare(a, b);
}
