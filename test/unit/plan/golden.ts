/** Golden files: `UPDATE_GOLDEN=1 bash test/run.sh unit` rewrites them; review the diff before committing. */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { planJson, planText } from '../../../src/plan/index.js';
import type { Plan } from '../../../src/plan/types.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'golden');

export function golden(t: ExecutionContext, name: string, actual: string, extension = 'txt'): void {
  const file = join(dir, `${name}.${extension}`);
  if (process.env.UPDATE_GOLDEN || !existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    if (process.env.UPDATE_GOLDEN) return void t.pass();
  }
  t.is(actual, readFileSync(file, 'utf8'), `golden ${name}.${extension} differs (UPDATE_GOLDEN=1 to rewrite)`);
}

/**
 * A plan's two goldens: its text (`stack plan`, with operations when asked) and its JSON (`stack plan --json`, which
 * carries every operation with its parameters, compensations and rollouts) — byte for byte.
 */
export function goldenPlan(
  t: ExecutionContext,
  name: string,
  plan: Plan,
  options: { operations?: boolean } = {},
  redact: (text: string) => string = (s) => s,
): void {
  golden(t, name, redact(planText(plan, options)));
  golden(t, name, redact(`${JSON.stringify(planJson(plan), null, 2)}\n`), 'json');
}
