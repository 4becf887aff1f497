/** Slot order: numbers as numbers without building a collator; host names (global services) by the numeric collator. */
import test from 'ava';
import { bySlotNumber } from '../../../src/plan/slot-order.js';

const collator = new Intl.Collator(undefined, { numeric: true });

test('replicated slots sort as numbers, as the numeric collator sorts them', (t) => {
  const slots = ['10', '2', '1', '33', '3', '100', '20'];
  t.deepEqual([...slots].sort(bySlotNumber), ['1', '2', '3', '10', '20', '33', '100']);
  t.deepEqual([...slots].sort(bySlotNumber), [...slots].sort(collator.compare));
});

test("a global service's slots (host names) and anything not a plain number keep the collator's order", (t) => {
  const slots = ['node-10', 'node-2', 'h1', 'H3', 'web.a', '02', '2', '1e3', '0'];
  t.deepEqual([...slots].sort(bySlotNumber), [...slots].sort(collator.compare));
  t.is(bySlotNumber('7', '7'), 0);
});
