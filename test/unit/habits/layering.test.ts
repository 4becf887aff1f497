// The layering of src/ holds (issue 16): dependency-cruiser with .dependency-cruiser.cjs finds no violation —
// folders import only the folders below them (cli → deploy → state → apply → plan → observe → overlay → consul →
// docker → stack) and there is no import cycle.
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const depcruise = fileURLToPath(new URL('../../../node_modules/.bin/depcruise', import.meta.url));

test('src/ imports in one direction, without cycles (dependency-cruiser)', async (t) => {
  const run = promisify(execFile)(depcruise, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], {
    cwd: root,
  });
  const result = await run.then(
    ({ stdout }) => ({ ok: true, out: stdout }),
    (error: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
  );
  t.true(result.ok, result.out);
});
