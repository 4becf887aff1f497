/** The plan for people (grouped by host and service, + ~ - ±, colours on a TTY) or as one JSON document. */
import pc from 'picocolors';
import { planText, planJson } from '../../plan/text.js';
import type { Plan } from '../../plan/types.js';
import { useColor } from './color.js';

export function printPlan(
  plan: Plan,
  options: { json?: boolean; verbose?: boolean; stream?: NodeJS.WriteStream } = {},
): void {
  const stream = options.stream ?? process.stdout;
  if (options.json) return void stream.write(`${JSON.stringify(planJson(plan), null, 2)}\n`);
  const color = useColor(stream);
  const c = pc.createColors(color);
  stream.write(
    planText(plan, {
      operations: options.verbose,
      paint: { add: c.green, change: c.yellow, remove: c.red, dim: c.dim, bold: c.bold },
    }),
  );
}
