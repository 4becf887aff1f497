/** Golden files: `UPDATE_GOLDEN=1 bash test/run.sh unit` rewrites them; review the diff before committing. */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'golden');

export function golden(t: ExecutionContext, name: string, actual: string): void {
  const file = join(dir, `${name}.txt`);
  if (process.env.UPDATE_GOLDEN || !existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, actual);
    if (process.env.UPDATE_GOLDEN) return void t.pass();
  }
  t.is(actual, readFileSync(file, 'utf8'), `golden ${name} differs (UPDATE_GOLDEN=1 to rewrite)`);
}
